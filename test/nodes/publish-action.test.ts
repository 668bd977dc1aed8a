import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EmulatorEvent } from '../../dist/sim/iotda';
import { iotdaTimestamp } from '../../dist/iotda/credentials';
import { DEVICE, baseCreds, catchNode, helper, iotdaAt, isOnline, nextEmulatorEvent, nextInput, publisherFlow, statusWhere, useNodeRig, type FlowNode } from './flow-rig';

// msg.action on at-publish, end to end: Node-RED runtime → at-publish → the shared connection →
// real driver → emulated EC20 → real MQTT → IoTDA emulator.

/** Collects the inputs of a helper node, in order. */
function inputsOf(node: { on(ev: 'input', fn: (msg: FlowNode) => void): void }): FlowNode[] {
  const list: FlowNode[] = [];
  node.on('input', (m) => list.push(m));
  return list;
}

// The test helper runs without the node set's catalog: texts are the catalog keys themselves.
const isHeld = (s: FlowNode) => s.fill === 'grey' && s.shape === 'ring' && /by flow|action\.held/.test(String(s.text));

describe('msg.action catalog texts', () => {
  it('every action text exists in en-US and zh-CN with its placeholders', () => {
    for (const lang of ['en-US', 'zh-CN']) {
      const cat = JSON.parse(readFileSync(join(__dirname, '../../nodes/locales', lang, 'iotda-at.json'), 'utf8'))['iotda-at'];
      assert.match(cat.errors.unknownAction, /__action__/, lang);
      assert.match(cat.errors.unknownAction, /connect.*disconnect.*reconnect/, lang);
      assert.match(cat.errors.actionInterrupted, /__action__.*__reason__/, lang);
      assert.equal(typeof cat.action.held, 'string', lang);
      assert.match(cat.action.heldQueued, /__count__/, lang);
    }
  });
});

describe('at-publish msg.action over an emulated EC20', () => {
  const rig = useNodeRig({ afterEachTest: () => mock.timers.reset() });

  const flow = (): FlowNode[] => publisherFlow(
    'ec20',
    rig.emu.mqttPort,
    { id: 'sub', type: 'at-subscribe', z: 'f1', connection: 'c1', kind: 'messages', output: 'auto', wires: [[]] },
    { id: 'catcher', type: 'catch', z: 'f1', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'f1' },
  );

  it('disconnect holds the shared session down and queues; connect delivers the queue in order', async () => {
    await helper.load([iotdaAt, catchNode], flow(), baseCreds('ec20'));
    const pub = helper.getNode('pub');
    const sub = helper.getNode('sub');
    await statusWhere(pub, isOnline, 30000);
    const out = inputsOf(helper.getNode('out'));

    const offline = nextEmulatorEvent(rig.emu, 'offline');
    const passed = nextInput(helper.getNode('out'));
    pub.receive({ action: 'disconnect', payload: 'keep me' });
    const msg = await passed;
    assert.equal(msg.action, 'disconnect', 'the action msg goes on once done');
    assert.equal(msg.payload, 'keep me');
    assert.equal((await offline).deviceId, DEVICE);
    assert.equal(rig.emu.getDevice(DEVICE)?.online, false);
    await statusWhere(pub, isHeld);
    // Shared: the subscriber on the same connection shows the hold too.
    await statusWhere(sub, isHeld);

    const reports: EmulatorEvent[] = [];
    const offReports = rig.emu.onEvent((e) => e.type === 'report' && reports.push(e));
    try {
      pub.receive({ payload: { n: 1 } });
      pub.receive({ payload: { n: 2 } });
      const queued = await statusWhere(pub, (s) => s.fill === 'grey' && /heldQueued|queued 2/.test(String(s.text)));
      assert.equal(queued.shape, 'ring');
      assert.equal(reports.length, 0, 'nothing is published while held');
      assert.equal(rig.emu.getDevice(DEVICE)?.online, false, 'registering traffic does not end the hold');

      const online = nextEmulatorEvent(rig.emu, 'online');
      pub.receive({ action: 'connect' });
      await online;
      while (out.filter((m) => m.payload?.n !== undefined).length < 2) await nextInput(helper.getNode('out'));
      const services = reports.map((e) => (e.services as { properties: { n: number } }[])[0].properties.n);
      assert.deepEqual(services, [1, 2], 'queued reports arrive in order');
      assert.ok(out.some((m) => m.action === 'connect'), 'the connect msg went on');
      await statusWhere(pub, isOnline);
    } finally {
      offReports();
    }
  });

  it('reconnect says goodbye and logs in again with a fresh clientId timestamp', async () => {
    const first = nextEmulatorEvent(rig.emu, 'online');
    await helper.load([iotdaAt, catchNode], flow(), baseCreds('ec20'));
    const pub = helper.getNode('pub');
    await statusWhere(pub, isOnline, 30000);
    const before = (await first).clientId as string;
    assert.ok(before.endsWith(`_${iotdaTimestamp()}`));

    // The credentials are keyed by the UTC hour: move the clock on one hour (Date only, timers
    // stay real) so a fresh login is visible in the clientId.
    const later = new Date(Date.now() + 3600_000);
    mock.timers.enable({ apis: ['Date'], now: later.getTime() });
    const offline = nextEmulatorEvent(rig.emu, 'offline');
    const online = nextEmulatorEvent(rig.emu, 'online');
    const passed = nextInput(helper.getNode('out'));
    pub.receive({ action: 'reconnect' });
    assert.equal((await offline).clientId, before);
    const after = (await online).clientId as string;
    assert.equal((await passed).action, 'reconnect');
    mock.timers.reset();
    assert.notEqual(after, before);
    assert.ok(after.endsWith(`_${iotdaTimestamp(later)}`), `${after} carries the new hour`);
    await statusWhere(pub, isOnline);
  });

  it('an unknown action fails to the Catch node with a clear message and publishes nothing', async () => {
    await helper.load([iotdaAt, catchNode], flow(), baseCreds('ec20'));
    const pub = helper.getNode('pub');
    await statusWhere(pub, isOnline, 30000);
    const out = inputsOf(helper.getNode('out'));
    const caught = nextInput(helper.getNode('caught'));
    pub.receive({ action: 'explode', payload: { n: 9 } });
    const err = await caught;
    assert.match(err.error.message, /errors\.unknownAction|Unknown msg\.action "explode"/);
    assert.equal(out.length, 0);
    assert.equal(rig.emu.getDevice(DEVICE)?.online, true, 'the connection is untouched');
  });
});
