/**
 * modem-config's `interface` setting (issue 10 item 1) in the Node-RED runtime, over the emulated
 * EC20 and the IoTDA emulator: on auto a `sim:ec20` port reports the module's own USB ids, so the
 * driver reads the URC port (factory usbat) and leaves it; an unknown value makes the node invalid.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { simPortOf } from '../../dist/nodes/modem-port';
import { baseCreds, baseFlow, helper, iotdaAt, isOnline, statusWhere, useNodeRig, type FlowNode } from '../nodes/flow-rig';

const publisher: FlowNode = { id: 'p1', type: 'at-publish', z: 'f1', connection: 'c1', kind: 'property', serviceId: 'env', qos: 1, queueSize: 10, wires: [[]] };

function withInterface(flow: FlowNode[], value: unknown): FlowNode[] {
  return flow.map((n) => (n.type === 'modem-config' ? { ...n, interface: value } : n));
}

describe('modem-config interface', () => {
  const rig = useNodeRig();

  it('auto on sim:ec20 (Quectel USB ids): reads the URC port, never sets uart1, goes online', async () => {
    await helper.load([iotdaAt], [...withInterface(baseFlow('ec20', rig.emu.mqttPort), 'auto'), publisher], baseCreds('ec20'));
    await statusWhere(helper.getNode('p1'), isOnline, 30000);
    const sent = simPortOf('m1')!
      .emulator.transcript.filter((t) => t.dir === 'in')
      .map((t) => t.bytes.toString('latin1'))
      .join('');
    assert.ok(sent.includes('AT+QURCCFG="urcport"\r'), sent);
    assert.ok(!sent.includes('AT+QURCCFG="urcport","'), 'the module already sends its URCs to the USB AT port');
  });

  it('an unknown interface value makes the node invalid with a clear message', async () => {
    await helper.load([iotdaAt], [...withInterface(baseFlow('ec20', rig.emu.mqttPort), 'pcie'), publisher], baseCreds('ec20'));
    const m1 = helper.getNode('m1') as { invalid?: string };
    assert.match(m1.invalid ?? '', /interface/);
    const s = await statusWhere(helper.getNode('p1'), (x) => x.fill === 'red', 10000);
    assert.ok(s.text);
  });
});
