/**
 * Issue 14 item 4 end to end: Node-RED runtime → at-publish with a payload template → real
 * driver → emulated EC20 → real MQTT → IoTDA emulator. A hostile value arrives as one property
 * value; a payload that cannot become JSON reaches a Catch node as an invalid payload.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { within } from '../modems/event-deadline';
import { baseCreds, baseFlow, catchNode, helper, iotdaAt, isOnline, nextEmulatorEvent, statusWhere, useNodeRig, type FlowNode } from './flow-rig';

const HOSTILE = 'x", "t": 99, "admin": "1\u001a\r\n\\';

describe('at-publish payload template over an emulated EC20', () => {
  const rig = useNodeRig();

  const flow = (): FlowNode[] => [
    ...baseFlow('ec20', rig.emu.mqttPort),
    { id: 'pub', type: 'at-publish', z: 'f1', connection: 'c1', kind: 'property', serviceId: 'env', template: '{"name": "{{name}}", "t": 1}', qos: 1, queueSize: 10, wires: [[]] },
    { id: 'plain', type: 'at-publish', z: 'f1', connection: 'c1', kind: 'property', serviceId: 'env', qos: 1, queueSize: 10, wires: [[]] },
    { id: 'catcher', type: 'catch', z: 'f1', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'f1' },
  ];

  it('a value with quotes, a backslash and control characters stays one value; a circular payload is an invalid payload', async () => {
    await helper.load([iotdaAt, catchNode], flow(), baseCreds('ec20'));
    await statusWhere(helper.getNode('pub'), isOnline, 30000);

    const report = nextEmulatorEvent(rig.emu, 'report');
    helper.getNode('pub').receive({ name: HOSTILE });
    const services = (await report).services as { service_id: string; properties: Record<string, unknown> }[];
    assert.deepEqual(services, [{ service_id: 'env', properties: { name: HOSTILE, t: 1 } }]);

    const caught = new Promise<FlowNode>((resolve) => helper.getNode('caught').once('input', resolve));
    const circular: Record<string, unknown> = { t: 1 };
    circular.self = circular;
    helper.getNode('plain').receive({ payload: circular });
    const err = String((await within(caught, 'the circular payload reaches Catch')).error?.message);
    assert.match(err, /invalidPayload|Invalid payload/);
    assert.doesNotMatch(err, /linkFailed|Connection failed/);
    assert.equal(helper.getNode('c1').link.status.queued, 0);
  });
});
