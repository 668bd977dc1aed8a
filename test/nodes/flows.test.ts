import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EmulatorEvent } from '../../dist/sim/iotda';
import { simPortOf } from '../../dist/nodes/modem-port';
import { DEVICE, MODELS, baseCreds, baseFlow, helper, iotdaAt, isOnline, nextInput, publisherFlow, statusesOf, statusWhere, useNodeRig, type FlowNode } from './flow-rig';
import { within } from '../modems/event-deadline';

// Every node type over every emulated modem, end to end: Node-RED runtime → our nodes →
// real driver → emulated modem (AT over an in-process pipe) → real MQTT → IoTDA emulator.

const SYS = `$oc/devices/${DEVICE}/sys`;

for (const model of MODELS) {
  describe(`nodes over an emulated ${model}`, () => {
    const rig = useNodeRig();

    it('connects with status steps, reports a property, answers a command and a property get/set', async () => {
      const flow: FlowNode[] = publisherFlow(
        model,
        rig.emu.mqttPort,
        { id: 'cmd', type: 'at-subscribe', z: 'f1', connection: 'c1', kind: 'commands', output: 'auto', wires: [['cmdOut', 'cmdResp']] },
        { id: 'cmdOut', type: 'helper', z: 'f1' },
        { id: 'cmdResp', type: 'at-publish', z: 'f1', connection: 'c1', kind: 'command-response', qos: 0, wires: [] },
        { id: 'pset', type: 'at-subscribe', z: 'f1', connection: 'c1', kind: 'property-set', output: 'auto', wires: [['psetResp']] },
        { id: 'psetResp', type: 'at-publish', z: 'f1', connection: 'c1', kind: 'property-set-response', qos: 0, wires: [] },
        { id: 'pget', type: 'at-subscribe', z: 'f1', connection: 'c1', kind: 'property-get', output: 'auto', wires: [['pgetFn']] },
        { id: 'pgetFn', type: 'at-publish', z: 'f1', connection: 'c1', kind: 'property-get-response', serviceId: 'env', template: '{"t": 7}', qos: 0, wires: [] },
      );
      await helper.load([iotdaAt], flow, baseCreds(model));
      const pub = helper.getNode('pub');
      await statusWhere(pub, (s) => s.fill === 'yellow' && s.shape === 'ring');
      await statusWhere(pub, isOnline, 30000);

      const sent = nextInput(helper.getNode('out'));
      pub.receive({ payload: { temperature: 21.5 } });
      const out = await sent;
      assert.equal(out.topic, `${SYS}/properties/report`);
      assert.equal(typeof out.messageId, 'number');
      assert.deepEqual(rig.emu.getDevice(DEVICE)?.properties.env?.properties, { temperature: 21.5 });

      const received = nextInput(helper.getNode('cmdOut'));
      const result = await rig.emu.sendCommand(DEVICE, { service_id: 'stm32', command_name: 'LED', paras: { LED1: 1 } });
      const cmdMsg = await received;
      assert.deepEqual(cmdMsg.command, { service_id: 'stm32', command_name: 'LED', paras: { LED1: 1 } });
      assert.equal(cmdMsg.requestId, result.requestId);
      assert.equal(cmdMsg.deviceId, DEVICE);
      assert.equal(result.status, 'ok');
      assert.equal((result.response as { result_code: number }).result_code, 0);

      const set = await rig.emu.setProperties(DEVICE, [{ service_id: 'env', properties: { target: 3 } }]);
      assert.equal(set.status, 'ok');
      assert.equal((set.response as { result_code: number }).result_code, 0);
      const get = await rig.emu.getProperties(DEVICE, 'env');
      assert.equal(get.status, 'ok');
      assert.deepEqual((get.response as { services: unknown[] }).services, [{ service_id: 'env', properties: { t: 7 } }]);
    });

    it('delivers messages, events and raw topics; publishes message, event and raw', async () => {
      const flow: FlowNode[] = [
        ...baseFlow(model, rig.emu.mqttPort),
        { id: 'msgs', type: 'at-subscribe', z: 'f1', connection: 'c1', kind: 'messages', output: 'auto', wires: [['msgsOut']] },
        { id: 'msgsOut', type: 'helper', z: 'f1' },
        { id: 'evts', type: 'at-subscribe', z: 'f1', connection: 'c1', kind: 'events', output: 'auto', wires: [['evtsOut']] },
        { id: 'evtsOut', type: 'helper', z: 'f1' },
        { id: 'rawSub', type: 'at-subscribe', z: 'f1', connection: 'c1', kind: 'raw', topic: `$oc/devices/${DEVICE}/sys/messages/#`, output: 'string', wires: [['rawOut']] },
        { id: 'rawOut', type: 'helper', z: 'f1' },
        { id: 'pm', type: 'at-publish', z: 'f1', connection: 'c1', kind: 'message', qos: 1, wires: [['pmOut']] },
        { id: 'pmOut', type: 'helper', z: 'f1' },
        { id: 'pe', type: 'at-publish', z: 'f1', connection: 'c1', kind: 'event', serviceId: '$sub_device_manager', qos: 1, wires: [['peOut']] },
        { id: 'peOut', type: 'helper', z: 'f1' },
        { id: 'pr', type: 'at-publish', z: 'f1', connection: 'c1', kind: 'raw', topic: `$oc/devices/${DEVICE}/user/{{topic}}`, qos: 0, wires: [['prOut']] },
        { id: 'prOut', type: 'helper', z: 'f1' },
      ];
      await helper.load([iotdaAt], flow, baseCreds(model));
      await statusWhere(helper.getNode('rawSub'), isOnline, 30000);

      const m = nextInput(helper.getNode('msgsOut'));
      rig.emu.sendMessage(DEVICE, { LED2: 1 });
      assert.deepEqual(((await m).payload as { content: unknown }).content, { LED2: 1 });

      const e = nextInput(helper.getNode('evtsOut'));
      rig.emu.sendEvent(DEVICE, [{ service_id: '$time_sync', event_type: 'time_sync_response', paras: { device_send_time: 1, server_recv_time: 2, server_send_time: 3 } }]);
      const ev = await e;
      assert.equal(ev.topic, `${SYS}/events/down`);
      assert.equal((ev.payload as { services: { event_type: string }[] }).services[0].event_type, 'time_sync_response');

      const r = nextInput(helper.getNode('rawOut'));
      rig.emu.sendMessage(DEVICE, 'hello raw', { raw: true });
      const raw = await r;
      assert.equal(raw.topic, `${SYS}/messages/down`);
      assert.equal(raw.payload, 'hello raw');

      const upEvents: string[] = [];
      // QoS 0 is confirmed when the modem has sent it, which can be before the broker has
      // routed it: await the emulator's custom-up event instead of reading the list at once.
      let sawCustomUp!: () => void;
      const customUp = new Promise<void>((resolve) => (sawCustomUp = resolve));
      const off = rig.emu.onEvent((ev2) => {
        upEvents.push(ev2.type);
        if (ev2.type === 'custom-up') sawCustomUp();
      });
      const pm = nextInput(helper.getNode('pmOut'));
      helper.getNode('pm').receive({ payload: { hello: 'world' } });
      assert.equal((await pm).topic, `${SYS}/messages/up`);
      const pe = nextInput(helper.getNode('peOut'));
      helper.getNode('pe').receive({ payload: { event_type: 'x', paras: { a: 1 } } });
      assert.equal((await pe).topic, `${SYS}/events/up`);
      const pr = nextInput(helper.getNode('prOut'));
      helper.getNode('pr').receive({ topic: 'report', payload: 'raw up' });
      assert.equal((await pr).topic, `$oc/devices/${DEVICE}/user/report`);
      await within(customUp, 'the raw QoS 0 publish reaching the IoTDA emulator');
      off();
      assert.ok(upEvents.includes('message-up') && upEvents.includes('event-up') && upEvents.includes('custom-up'), `emulator saw ${upEvents.join(',')}`);
    });

    it('queues publishes while the broker link is down and flushes them in order after the reconnect', async () => {
      helper.settings({ mqttAtConnectReconnectTime: 300 });
      const flow: FlowNode[] = [
        ...baseFlow(model, rig.emu.mqttPort),
        { id: 'pub', type: 'at-publish', z: 'f1', connection: 'c1', kind: 'message', qos: 1, queueSize: 10, wires: [['out']] },
        { id: 'out', type: 'helper', z: 'f1' },
      ];
      await helper.load([iotdaAt], flow, baseCreds(model));
      const pub = helper.getNode('pub');
      await statusWhere(pub, isOnline, 30000);
      const seen = statusesOf(pub).length;
      simPortOf('m1')!.emulator.faults.dropLink(0);
      await statusWhere(pub, (s) => s.fill === 'red' && statusesOf(pub).indexOf(s) >= seen);
      const ups: EmulatorEvent[] = [];
      const off = rig.emu.onEvent((e) => e.type === 'message-up' && ups.push(e));
      const outs: FlowNode[] = [];
      const all = new Promise<void>((resolve) =>
        helper.getNode('out').on('input', (m: FlowNode) => outs.push(m) === 3 && resolve()),
      );
      for (const n of [1, 2, 3]) pub.receive({ payload: { n } });
      await within(all, 'three outputs of the publish node');
      off();
      assert.deepEqual(outs.map((m) => (m.payload as { n: number }).n), [1, 2, 3]);
      assert.equal(ups.length, 3);
      assert.deepEqual(ups.map((e) => (e.payload as { n: number }).n), [1, 2, 3]);
    });
  });
}
