/** The `iotda-sim` command as a user runs it: a child process on loopback with a devices file. */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { iotdaCredentials, IotdaTopics } from '../../dist/iotda';

const CLI = path.resolve(__dirname, '../../dist/sim/iotda/cli.js');

describe('iotda-sim CLI', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iotda-cli-test-'));
  let child: ChildProcess | undefined;
  after(() => {
    if (child && child.exitCode === null) child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts with the first line as a node shebang', () => {
    assert.equal(fs.readFileSync(CLI, 'utf8').split('\n')[0], '#!/usr/bin/env node');
  });

  it('serves the devices of the file on loopback and stops on SIGTERM', async () => {
    const devices = path.join(dir, 'devices.json');
    fs.writeFileSync(devices, JSON.stringify({ devices: [{ deviceId: 'cli_dev', secret: 's' }] }));
    child = spawn(process.execPath, [CLI, '--devices', devices, '--mqtt', '0', '--http', '0', '--tls', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const consoleUrl = await new Promise<string>((resolve, reject) => {
      child!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /console (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m && out.includes('trust the CA certificate')) resolve(m[1]);
      });
      child!.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    assert.match(out, /1 device\(s\)/);
    assert.match(out, /MQTT on mqtt:\/\/127\.0\.0\.1:\d+/);
    const list = (await (await fetch(new URL('api/devices', consoleUrl))).json()) as { deviceId: string }[];
    assert.deepEqual(list.map((d) => d.deviceId), ['cli_dev']);
    const caPath = /CA certificate at (\S+)/.exec(out)![1];
    assert.match(fs.readFileSync(caPath, 'utf8'), /BEGIN CERTIFICATE/);
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });

  it('serves the examples\' demo device when started without a devices file, and says so', async () => {
    const c = spawn(process.execPath, [CLI, '--mqtt', '0', '--http', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let out = '';
    const consoleUrl = await new Promise<string>((resolve, reject) => {
      c.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /console (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]);
      });
      c.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    assert.match(out, /serving the examples' demo device demo_product_dev01 \(secret demo-secret-0001\)/);
    const list = (await (await fetch(new URL('api/devices', consoleUrl))).json()) as { deviceId: string; productId?: string }[];
    assert.deepEqual(list.map((d) => [d.deviceId, d.productId]), [['demo_product_dev01', 'demo_product']]);
    const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
    c.kill('SIGTERM');
    assert.equal(await exited, 0);
  });

  it('refuses a devices file that does not exist, naming it', () => {
    const missing = path.join(dir, 'no-such-devices.json');
    const r = spawnSync(process.execPath, [CLI, '--devices', missing, '--mqtt', '0', '--http', '0'], { encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /devices file .*no-such-devices\.json does not exist/);
    assert.ok(!fs.existsSync(missing), 'nothing was created in its place');
  });

  it('rejects a bad port with the usage line', () => {
    const r = spawnSync(process.execPath, [CLI, '--mqtt', 'abc'], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--mqtt must be a port number/);
    assert.match(r.stderr, /usage: iotda-sim/);
  });
});

// Issue 13 item 6: real --help that explains devices.json, and the uplink rate limit as an option.
describe('iotda-sim --help and --uplink-rate (issue 13 item 6)', () => {
  let child: ChildProcess | undefined;
  after(() => {
    if (child && child.exitCode === null) child.kill('SIGTERM');
  });

  for (const flag of ['--help', '-h']) {
    it(`iotda-sim ${flag} prints every option, explains devices.json with an example, exit 0`, () => {
      const r = spawnSync(process.execPath, [CLI, flag], { encoding: 'utf8', timeout: 20000 });
      assert.equal(r.status, 0, r.stderr);
      for (const option of ['--devices', '--mqtt', '--http', '--tls', '--host', '--command-timeout', '--uplink-rate', '--uplink-bytes', '--help']) {
        assert.ok(r.stdout.includes(option), `help names ${option}`);
      }
      // Every field a devices.json entry can have, and an example file that the emulator takes.
      for (const field of ['deviceId', 'secret', 'productId', 'services', 'customTopics', 'frozen']) assert.match(r.stdout, new RegExp(`\\n  ${field}\\s`));
      const example = /Example devices\.json:\n([\s\S]*?)\n\n/.exec(r.stdout);
      assert.ok(example, 'an example devices.json');
      const parsed = JSON.parse(example[1]) as { devices: { deviceId: string; secret: string }[] };
      assert.ok(parsed.devices[0].deviceId && parsed.devices[0].secret);
      assert.match(r.stdout, /Examples:\n\s+iotda-sim/);
    });
  }

  it('--uplink-rate 2 drops the third report within a second, as the platform limit does', async () => {
    const c = spawn(process.execPath, [CLI, '--mqtt', '0', '--http', '0', '--uplink-rate', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let out = '';
    const mqttUrl = await new Promise<string>((resolve, reject) => {
      c.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /MQTT on (mqtt:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m && out.includes('device(s)')) resolve(m[1]);
      });
      c.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    const creds = iotdaCredentials('demo_product_dev01', 'demo-secret-0001');
    const client = await mqtt.connectAsync(mqttUrl, { clientId: creds.clientId, username: creds.username, password: creds.password, keepalive: 60, reconnectPeriod: 0 });
    const dropped = new Promise<void>((resolve) => {
      const look = () => /acknowledged and dropped \(uplink rate limit exceeded\)/.test(out) && resolve();
      look();
      c.stdout!.on('data', look);
    });
    const started = Date.now();
    for (let i = 0; i < 3; i++) {
      await client.publishAsync(IotdaTopics.propertiesReport('demo_product_dev01'), JSON.stringify({ services: [{ service_id: 'stm32', properties: { n: i } }] }), { qos: 1 });
    }
    assert.ok(Date.now() - started < 1000, 'three reports within one second');
    await dropped;
    await client.endAsync();
    const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
    c.kill('SIGTERM');
    assert.equal(await exited, 0);
  });

  it('refuses a bad --uplink-rate with the usage line', () => {
    const r = spawnSync(process.execPath, [CLI, '--mqtt', '0', '--http', '0', '--uplink-rate', '1.5'], { encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--uplink-rate must be a whole number 0 or more, got 1\.5/);
    assert.match(r.stderr, /usage: iotda-sim/);
  });
});
