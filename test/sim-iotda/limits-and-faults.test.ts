/** Uplink rate limit (§1.3, emu: log and drop) and injected CONNACK faults (§1.8). */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startIotdaEmulator, type IotdaEmulator, type EmulatorEvent } from '../../dist/sim/iotda';
import { iotdaCredentials, IotdaTopics } from '../../dist/iotda';

describe('IoTDA emulator limits and faults', () => {
  let emu: IotdaEmulator;
  before(async () => {
    emu = await startIotdaEmulator({ uplinkMessagesPerSecond: 5, devices: [{ deviceId: 'lim_dev', secret: 's' }] });
  });
  after(async () => {
    await emu.close();
  });
  const opts = () => {
    const c = iotdaCredentials('lim_dev', 's');
    return { clientId: c.clientId, username: c.username, password: c.password, keepalive: 60, reconnectPeriod: 0 };
  };

  it('acknowledges but drops uplinks beyond the per-second limit, reporting the first drop', async () => {
    const c = await mqtt.connectAsync(emu.mqttUrl, opts());
    const events: EmulatorEvent[] = [];
    const off = emu.onEvent((e) => events.push(e));
    const fiveReports = new Promise<void>((resolve) => {
      let n = 0;
      emu.on('report', () => ++n === 5 && resolve());
    });
    // Seven QoS 1 reports well within one second: all get a PUBACK, two are dropped.
    for (let i = 0; i < 7; i++) {
      await c.publishAsync(IotdaTopics.propertiesReport('lim_dev'), JSON.stringify({ services: [{ service_id: 'S', properties: { n: i } }] }), { qos: 1 });
    }
    await fiveReports;
    off();
    assert.equal(emu.getDevice('lim_dev')!.properties.S.properties.n, 4);
    const drops = events.filter((e) => e.type === 'dropped');
    assert.deepEqual(drops.map((e) => e.reason), ['uplink rate limit exceeded']);
    await c.endAsync();
  });

  it('injected CONNACK 3 refuses the next connect only', async () => {
    emu.injectConnectFault(3, 1);
    await assert.rejects(mqtt.connectAsync(emu.mqttUrl, opts()), (e: Error & { code?: number }) => e.code === 3);
    const c = await mqtt.connectAsync(emu.mqttUrl, opts());
    assert.equal(c.connected, true);
    await c.endAsync();
  });
});
