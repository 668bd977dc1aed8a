import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EmulatorEvent } from '../../dist/sim/iotda';
import { within } from '../modems/event-deadline';
import { baseCreds, helper, iotdaAt, isOnline, publisherFlow, statusWhere, useNodeRig, type FlowNode } from './flow-rig';

// Issue 11: IoTDA accepts about 50 uplinks per second per device and drops the rest after
// acknowledging them. A backlog of 150 reports flushed after a reconnect must all reach the
// platform: the flush is paced (default 40/s). The IoTDA emulator applies the platform's limit
// and reports every drop.

describe('paced backlog flush over an emulated EC20', () => {
  const rig = useNodeRig();

  it('150 queued reports: every one reaches IoTDA, none dropped by its rate limit', { timeout: 60000 }, async () => {
    const flow: FlowNode[] = publisherFlow('ec20', rig.emu.mqttPort);
    await helper.load([iotdaAt], flow, baseCreds('ec20'));
    const pub = helper.getNode('pub');
    await statusWhere(pub, isOnline, 30000);
    const held = new Promise<void>((resolve) => helper.getNode('out').once('input', () => resolve()));
    pub.receive({ action: 'disconnect' });
    await within(held, 'held down');
    const reports: number[] = [];
    const drops: EmulatorEvent[] = [];
    const off = rig.emu.onEvent((e) => {
      if (e.type === 'report') reports.push((e.services as { properties: { n: number } }[])[0].properties.n);
      if (e.type === 'dropped') drops.push(e);
    });
    let confirmed = 0;
    const all = new Promise<void>((resolve) => helper.getNode('out').on('input', (m: FlowNode) => m.action === undefined && ++confirmed === 150 && resolve()));
    for (let n = 0; n < 150; n++) pub.receive({ payload: { n } });
    const started = Date.now();
    pub.receive({ action: 'connect' });
    await within(all, '150 reports confirmed', 30000);
    const seconds = (Date.now() - started) / 1000;
    off();
    assert.deepEqual(drops, []);
    assert.equal(reports.length, 150);
    assert.deepEqual(reports, Array.from({ length: 150 }, (_, n) => n));
    assert.ok(seconds >= 150 / 40 - 0.5, `paced: ${seconds} s for 150 reports`);
  });
});
