import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { baseCreds, catchNode, helper, iotdaAt, isOnline, publisherFlow, statusesOf, statusWhere, useNodeRig, type FlowNode } from './flow-rig';
import { within } from '../modems/event-deadline';

// Issue 11: a report must not cost a node.status() call when the status text stays the same,
// and the model's size limits apply before a report takes a queue slot, modem up or not.

describe('at-publish per-report overhead and limits', () => {
  const rig = useNodeRig();

  it('20 reports while online make no status call: the text does not change', async () => {
    const flow: FlowNode[] = publisherFlow('ec20', rig.emu.mqttPort);
    await helper.load([iotdaAt], flow, baseCreds('ec20'));
    const pub = helper.getNode('pub');
    await statusWhere(pub, (s) => isOnline(s) && /connectedSignal/.test(String(s.text)), 30000);
    const before = statusesOf(pub).length;
    let outs = 0;
    const all = new Promise<void>((resolve) => helper.getNode('out').on('input', () => ++outs === 20 && resolve()));
    for (let n = 0; n < 20; n++) pub.receive({ payload: { n } });
    await within(all, '20 reports confirmed');
    assert.equal(statusesOf(pub).length - before, 0, JSON.stringify(statusesOf(pub).slice(before)));
  });

  it('a report too large for the configured model fails at once while the modem is not up, without a queue slot', async () => {
    const flow: FlowNode[] = [
      { id: 'f1', type: 'tab', label: 'test' },
      // A serial port that does not exist: the modem never comes up, so there is no driver.
      { id: 'm1', type: 'modem-config', port: '/dev/ttyIOTDA-AT-MISSING', model: 'bc26', baudRate: 115200, apn: '', wifiSsid: '', trace: false },
      { id: 'c1', type: 'mqtt-at-connect', modem: 'm1', host: '127.0.0.1', port: rig.emu.mqttPort, tls: false, deviceId: 'rig_product_dev01', signType: 0, keepalive: 120, clientIndex: 0 },
      { id: 'pub', type: 'at-publish', z: 'f1', connection: 'c1', kind: 'message', qos: 1, queueSize: 1000, wires: [[]] },
      { id: 'catcher', type: 'catch', z: 'f1', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'f1' },
    ];
    await helper.load([iotdaAt, catchNode], flow, baseCreds('bc26'));
    const caught = new Promise<FlowNode>((resolve) => helper.getNode('caught').once('input', resolve));
    helper.getNode('pub').receive({ payload: 'x'.repeat(2000) });
    const m = await within(caught, 'the oversized report reaches Catch');
    assert.match(String(m.error?.message), /payloadTooLarge|unsupportedBytes|1024|2000/);
    assert.equal(helper.getNode('c1').link.status.queued, 0);
  });

  it('msg.action "connect" sent many times while the modem is down adds one status listener, not one per action', async () => {
    const flow: FlowNode[] = [
      { id: 'f1', type: 'tab', label: 'test' },
      { id: 'm1', type: 'modem-config', port: '/dev/ttyIOTDA-AT-MISSING', model: 'ec20', baudRate: 115200, apn: '', wifiSsid: '', trace: false },
      { id: 'c1', type: 'mqtt-at-connect', modem: 'm1', host: '127.0.0.1', port: rig.emu.mqttPort, tls: false, deviceId: 'rig_product_dev01', signType: 0, keepalive: 120, clientIndex: 0 },
      { id: 'pub', type: 'at-publish', z: 'f1', connection: 'c1', kind: 'property', serviceId: 'env', qos: 1, queueSize: 1000, wires: [[]] },
    ];
    await helper.load([iotdaAt], flow, baseCreds('ec20'));
    const link = helper.getNode('c1').link;
    const before = link.listenerCount('status');
    for (let i = 0; i < 15; i++) helper.getNode('pub').receive({ action: 'connect' });
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.ok(link.listenerCount('status') <= before + 1, `status listeners: ${before} -> ${link.listenerCount('status')}`);
  });
});
