/** MQTTS with the CA the emulator generates at start (openssl CLI). */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import mqtt from 'mqtt';
import { startIotdaEmulator, type IotdaEmulator } from '../../dist/sim/iotda';
import { iotdaCredentials } from '../../dist/iotda';

describe('IoTDA emulator over TLS', () => {
  let emu: IotdaEmulator;
  before(async () => {
    emu = await startIotdaEmulator({ tlsPort: 0, devices: [{ deviceId: 'tls_dev', secret: 'tls-secret' }] });
  });
  after(async () => {
    await emu.close();
  });

  const creds = () => {
    const c = iotdaCredentials('tls_dev', 'tls-secret');
    return { clientId: c.clientId, username: c.username, password: c.password, keepalive: 120, reconnectPeriod: 0 };
  };

  it('exposes the CA via the API and as a file', async () => {
    assert.ok(emu.tlsPort && emu.tlsPort > 0);
    assert.match(emu.caCertPem ?? '', /-----BEGIN CERTIFICATE-----/);
    assert.equal(fs.readFileSync(emu.caCertPath!, 'utf8'), emu.caCertPem);
    const res = await fetch(new URL('api/ca.pem', emu.url));
    assert.equal(await res.text(), emu.caCertPem);
  });

  it('a client trusting the generated CA connects and verifies the server name', async () => {
    const c = await mqtt.connectAsync(`mqtts://localhost:${emu.tlsPort}`, { ...creds(), ca: emu.caCertPem, rejectUnauthorized: true });
    assert.equal(c.connected, true);
    await c.endAsync();
  });

  it('a client without the CA is refused by its own TLS check', async () => {
    await assert.rejects(
      mqtt.connectAsync(`mqtts://127.0.0.1:${emu.tlsPort}`, { ...creds(), rejectUnauthorized: true }),
      /self[- ]signed|unable to verify|certificate/i,
    );
  });
});
