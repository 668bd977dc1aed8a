/**
 * Adding and removing devices over the emulator's HTTP API, as the console does: the devices
 * file follows, and a removed device's live connection is dropped and refused on its next CONNECT.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { startIotdaEmulator, type IotdaEmulator } from '../../dist/sim/iotda';
import { iotdaCredentials } from '../../dist/iotda';

describe('IoTDA emulator: add and remove devices over HTTP', () => {
  let emu: IotdaEmulator;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iotda-admin-test-'));
  const devicesFile = path.join(dir, 'devices.json');

  before(async () => {
    fs.writeFileSync(devicesFile, JSON.stringify({ devices: [] }));
    emu = await startIotdaEmulator({ devicesFile });
  });
  after(async () => {
    await emu.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(new URL(`api/${p}`, emu.url), {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const fileIds = () => (JSON.parse(fs.readFileSync(devicesFile, 'utf8')).devices as { deviceId: string }[]).map((d) => d.deviceId);

  it('adds a device, drops its connection when it is removed, and refuses it afterwards', async () => {
    assert.equal((await call('POST', 'devices', { deviceId: 'admin_dev', secret: 'admin-secret' })).status, 201);
    assert.deepEqual(fileIds(), ['admin_dev']);

    const creds = iotdaCredentials('admin_dev', 'admin-secret');
    const connect = () => mqtt.connectAsync(emu.mqttUrl, { clientId: creds.clientId, username: creds.username, password: creds.password, reconnectPeriod: 0 });
    const client = await connect();
    const closed = new Promise<void>((r) => client.once('close', () => r()));

    const removed = await call('DELETE', 'devices/admin_dev');
    assert.deepEqual([removed.status, removed.json], [200, { removed: true }]);
    await closed;
    assert.deepEqual(fileIds(), []);
    assert.equal((await call('GET', 'devices/admin_dev')).status, 404);
    assert.equal((await call('DELETE', 'devices/admin_dev')).status, 404);

    await assert.rejects(connect(), (err: Error & { code?: number }) => err.code === 4 || /Bad username or password|Not authorized/i.test(err.message));
    await client.endAsync(true);
  });
});
