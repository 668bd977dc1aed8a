import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { simPortOf } from '../../dist/nodes/modem-port';
import { DEVICE, baseCreds, baseFlow, helper, iotdaAt, isOnline, nextInput, statusWhere, useNodeRig, type FlowNode } from './flow-rig';

// Defaults of an at-publish saved without the optional properties (an older flow, a hand-made
// one): the contract's QoS 0 (DESIGN.md), seen in the AT command the emulated EC20 receives.

describe('at-publish defaults', () => {
  const rig = useNodeRig();

  it('publishes at QoS 0 when the node has no qos property', async () => {
    const flow: FlowNode[] = [
      ...baseFlow('ec20', rig.emu.mqttPort),
      { id: 'pub', type: 'at-publish', z: 'f1', connection: 'c1', kind: 'property', serviceId: 'env', wires: [['out']] },
      { id: 'out', type: 'helper', z: 'f1' },
    ];
    await helper.load([iotdaAt], flow, baseCreds('ec20'));
    const pub = helper.getNode('pub');
    await statusWhere(pub, isOnline, 30000);
    const reported = nextInput(helper.getNode('out'));
    pub.receive({ payload: { temperature: 21 } });
    assert.equal((await reported).topic, `$oc/devices/${DEVICE}/sys/properties/report`);
    const publishes = simPortOf('m1')!
      .emulator.transcript.filter((t) => t.dir === 'in')
      .map((t) => t.bytes.toString().trim())
      .filter((l) => l.startsWith('AT+QMTPUB='));
    // AT+QMTPUB=<idx>,<msgid>,<qos>,...: QoS 0 carries message id 0.
    assert.deepEqual(publishes.map((l) => l.split(',').slice(1, 3).join(',')), ['0,0']);
  });
});
