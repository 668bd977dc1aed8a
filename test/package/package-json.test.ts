import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

describe('package.json', () => {
  it('declares the flow-library metadata the scorecard and catalogue need', () => {
    assert.equal(pkg.name, 'node-red-contrib-iotda-at');
    for (const k of ['node-red', 'huawei', 'iotda', 'modem', 'at-command', 'ec20', 'bc26', 'esp8266', 'mqtt']) {
      assert.ok(pkg.keywords.includes(k), `keyword ${k}`);
    }
    assert.equal(pkg['node-red'].version, '>=4.0.0');
    assert.equal(pkg.engines.node, '>=20');
    assert.equal(pkg.license, 'Apache-2.0');
    assert.ok(Object.keys(pkg.dependencies).length <= 6, 'at most 6 runtime dependencies (scorecard D01)');
  });

  it('points main and node-red.nodes at built files that exist', () => {
    assert.ok(fs.existsSync(path.join(root, pkg.main)), pkg.main);
    for (const file of Object.values<string>(pkg['node-red'].nodes)) {
      assert.match(file, /^dist\/nodes\/.+\.js$/);
    }
  });
});

describe('main module (programmatic API for plain Node.js)', () => {
  it('exports every layer: transports, AT channel, drivers, IoTDA helpers, link, emulators', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const api = require(path.join(root, pkg.main));
    for (const name of [
      'createTransport', 'SerialTransport', 'TcpTransport', 'DuplexTransport', 'listSerialPorts',
      'AtChannel', 'quectelDialect', 'espDialect', 'AtTimeoutError', 'AtCommandError', 'ModemRebootedError',
      'createModemDriver', 'loadProfile', 'registerProfile', 'ModemError',
      'iotdaCredentials', 'IotdaTopics', 'buildPropertyReport', 'parseDownlinkTopic',
      'LinkSupervisor', 'ModemSupervisor',
      'startIotdaEmulator', 'createModemEmulator', 'SimPort',
    ]) {
      assert.equal(typeof api[name] === 'function' || typeof api[name] === 'object', true, `${name} is exported`);
    }
    const creds = api.iotdaCredentials('myprod_dev01', '12345678', { now: new Date(Date.UTC(2025, 3, 14, 1, 30)) });
    assert.equal(creds.password, 'c75150e6cb841417396819e4d2ee4358a416344a03a083e3a8567074ddec820a');
  });
});
