import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EmulatorEvent, IotdaEmulator } from '../../dist/sim/iotda';
import { LinkSupervisor } from '../../dist/link/link-supervisor';
import { ModemSupervisor } from '../../dist/link/modem-supervisor';
import { QueueStore } from '../../dist/link/queue-store';
import { queueStoreFile } from '../../dist/nodes/mqtt-at-connect';
import { within } from '../modems/event-deadline';
import { DEVICE, SECRET, baseCreds, catchNode, helper, iotdaAt, isOnline, publisherFlow, statusWhere, useNodeRig, type FlowNode } from './flow-rig';

// Issue 11, second bullet: queued reports survive a redeploy of the publisher ("modified
// nodes"), a full redeploy and a Node-RED restart, through the real runtime, the emulated EC20
// and the IoTDA emulator. The connection is held down by msg.action "disconnect" so the
// reports wait in the queue when the deploy happens.

function reportsOf(emu: IotdaEmulator): { list: number[]; off: () => void } {
  const list: number[] = [];
  const off = emu.onEvent((e: EmulatorEvent) => {
    if (e.type === 'report') list.push((e.services as { properties: { n: number } }[])[0].properties.n);
  });
  return { list, off };
}

function inputsOf(node: { on(ev: 'input', fn: (msg: FlowNode) => void): void }): FlowNode[] {
  const list: FlowNode[] = [];
  node.on('input', (m) => list.push(m));
  return list;
}

async function until(test: () => boolean, what: string): Promise<void> {
  await within(
    new Promise<void>((resolve) => {
      const t = setInterval(() => test() && (clearInterval(t), resolve()), 20);
    }),
    what,
  );
}

describe('queued reports across redeploys and restarts', () => {
  const rig = useNodeRig();
  const flow = (): FlowNode[] => publisherFlow(
    'ec20',
    rig.emu.mqttPort,
    { id: 'catcher', type: 'catch', z: 'f1', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'f1' },
  );

  for (const type of ['nodes', 'full'] as const) {
    it(`a ${type} redeploy with reports queued: none fails, all are sent and reported by the new node`, async () => {
      helper.settings({ userDir: fs.mkdtempSync(path.join(os.tmpdir(), 'iotda-at-nr-')) });
      const f = flow();
      await helper.load([iotdaAt, catchNode], f, baseCreds('ec20'));
      await statusWhere(helper.getNode('pub'), isOnline, 30000);
      const caught = inputsOf(helper.getNode('caught'));
      const held = new Promise<void>((resolve) => helper.getNode('out').once('input', () => resolve()));
      helper.getNode('pub').receive({ action: 'disconnect' });
      await within(held, 'the disconnect action finished');
      for (const n of [1, 2, 3]) helper.getNode('pub').receive({ payload: { n } });
      const reports = reportsOf(rig.emu);
      // Rename the publisher only: Node-RED stops it (not removed) and starts it again with the same id.
      const changed = f.map((n) => (n.id === 'pub' ? { ...n, name: 'renamed' } : n));
      await helper.setFlows(changed, type, baseCreds('ec20'));
      const outs = inputsOf(helper.getNode('out'));
      const caughtAfter = inputsOf(helper.getNode('caught'));
      // The held link (nodes deploy) needs the flow's connect; a full deploy starts a new connection anyway.
      if (type === 'nodes') helper.getNode('pub').receive({ action: 'connect' });
      await until(() => outs.filter((m) => m.payload?.n).length === 3, 'the three queued reports reported sent by the new node');
      reports.off();
      assert.deepEqual(reports.list, [1, 2, 3]);
      assert.deepEqual(outs.filter((m) => m.payload?.n).map((m) => m.payload.n), [1, 2, 3]);
      assert.deepEqual([...caught, ...caughtAfter].map((m) => m.error?.message), []);
    });
  }

  it('a redeploy that changes the device id with reports queued: they reach IoTDA as the new device, not dropped into the old one\'s topics', async () => {
    const NEW_DEVICE = 'rig_product_dev02';
    rig.emu.addDevice({ deviceId: NEW_DEVICE, secret: SECRET });
    try {
      helper.settings({ userDir: fs.mkdtempSync(path.join(os.tmpdir(), 'iotda-at-nr-')) });
      const f = flow();
      await helper.load([iotdaAt, catchNode], f, baseCreds('ec20'));
      await statusWhere(helper.getNode('pub'), isOnline, 30000);
      const held = new Promise<void>((resolve) => helper.getNode('out').once('input', () => resolve()));
      helper.getNode('pub').receive({ action: 'disconnect' });
      await within(held, 'the disconnect action finished');
      for (const n of [1, 2, 3]) helper.getNode('pub').receive({ payload: { n } });
      const arrived: Array<{ device?: string; n: number }> = [];
      const dropped: string[] = [];
      const off = rig.emu.onEvent((e: EmulatorEvent) => {
        if (e.type === 'report') arrived.push({ device: e.deviceId, n: (e.services as { properties: { n: number } }[])[0].properties.n });
        if (e.type === 'dropped') dropped.push(String(e.topic));
      });
      // The user fixes the connection's device id and deploys: the connection is a new instance.
      const changed = f.map((n) => (n.id === 'c1' ? { ...n, deviceId: NEW_DEVICE } : n));
      await helper.setFlows(changed, 'full', baseCreds('ec20'));
      const outs = inputsOf(helper.getNode('out'));
      await until(() => outs.filter((m) => m.payload?.n).length === 3, 'the three queued reports reported sent by the new node');
      off();
      assert.deepEqual(dropped, []);
      assert.deepEqual(arrived, [1, 2, 3].map((n) => ({ device: NEW_DEVICE, n })));
      const warned = (helper.log().args as unknown[][]).some((a) => /queued reports handed over for device rig_product_dev01 are sent as device rig_product_dev02/.test(JSON.stringify(a)));
      assert.ok(warned, 'the log says the reports moved to the new device');
    } finally {
      rig.emu.removeDevice(NEW_DEVICE);
    }
  });

  it('a restart (or power cut) with reports queued: the next run sends them from the queue store', async () => {
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iotda-at-nr-'));
    // The previous run: connection c1 queued three reports and the process died.
    const modem = new ModemSupervisor({ createDriver: () => Promise.reject(new Error('no modem in the previous run')) });
    const previous = new LinkSupervisor({ modem, host: '127.0.0.1', port: rig.emu.mqttPort, deviceId: DEVICE, secret: SECRET, store: new QueueStore(queueStoreFile(userDir, 'c1'), () => undefined) });
    const up = `$oc/devices/${DEVICE}/sys/properties/report`;
    for (const n of [1, 2, 3]) previous.publish(up, Buffer.from(JSON.stringify({ services: [{ service_id: 'env', properties: { n } }] })), 1, { owner: 'pub' }).catch(() => undefined);
    assert.equal(previous.status.queued, 3);

    helper.settings({ userDir });
    const reports = reportsOf(rig.emu);
    await helper.load([iotdaAt, catchNode], flow(), baseCreds('ec20'));
    await statusWhere(helper.getNode('pub'), isOnline, 30000);
    await until(() => reports.list.length === 3, 'the three stored reports reached IoTDA');
    reports.off();
    assert.deepEqual(reports.list, [1, 2, 3]);
  });

  it('with the offline queue setting off, nothing is written to the user directory', async () => {
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iotda-at-nr-'));
    helper.settings({ userDir });
    const f = flow().map((n) => (n.id === 'c1' ? { ...n, persistQueue: false } : n));
    await helper.load([iotdaAt, catchNode], f, baseCreds('ec20'));
    await statusWhere(helper.getNode('pub'), isOnline, 30000);
    assert.equal(fs.existsSync(path.join(userDir, 'iotda-at-queue')), false);
  });
});
