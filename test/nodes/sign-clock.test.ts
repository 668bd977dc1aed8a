import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EmulatorEvent } from '../../dist/sim/iotda';
import { iotdaTimestamp } from '../../dist/iotda/credentials';
import { DEVICE, MODELS, baseCreds, baseFlow, helper, iotdaAt, isOnline, nextEmulatorEvent, statusWhere, useNodeRig, type FlowNode } from './flow-rig';

// Issue 14, item 2, through the real Node-RED runtime: a connection with sign type 1 on a gateway
// whose clock is a day wrong (settings.mqttAtConnectHostClock) signs with the network's time and
// says so in the log (catalog key iotda-at.clock.network); the IoTDA emulator checks sign type 1 against the current UTC hour.

const DAY_MS = 24 * 3_600_000;

const publisher: FlowNode = { id: 'p1', type: 'at-publish', z: 'f1', connection: 'c1', kind: 'property', serviceId: 'env', qos: 1, wires: [] };

/** The lines node `id` logged at info level (node.log), oldest first. */
function infoLines(id: string): string[] {
  const node = helper.getNode(id);
  return node.log.getCalls().filter((c: { thisValue: unknown }) => c.thisValue === node).map((c: { args: unknown[] }) => String(c.args[0]));
}

/** The hours a login made now may carry (the test may straddle the turn of an hour). */
const currentHours = () => new Set([iotdaTimestamp(new Date(Date.now() - 60_000)), iotdaTimestamp(new Date())]);

describe('sign type 1 with the host clock a day wrong', () => {
  const rig = useNodeRig();

  for (const model of MODELS) {
    it(`${model}: connects signing with the network time, and the log says "clock: network"`, async () => {
      helper.settings({ mqttAtConnectHostClock: () => Date.now() - DAY_MS });
      const online = nextEmulatorEvent(rig.emu, 'online');
      await helper.load([iotdaAt], [...baseFlow(model, rig.emu.mqttPort, { signType: 1 }), publisher], baseCreds(model));
      const status = await statusWhere(helper.getNode('p1'), isOnline, 40000);
      // The status shows the clock too (catalog iotda-at.status.clockSuffix.network: ", clock: network").
      assert.match(String(status.text), /\$t\([^)]*iotda-at\.status\.clockSuffix\.network\)$/);
      const clientId = String((await online as EmulatorEvent & { clientId?: string }).clientId);
      assert.match(clientId, new RegExp(`^${DEVICE}_0_1_\\d{10}$`));
      assert.ok(currentHours().has(clientId.slice(-10)), `signed with the real hour, not the host's: ${clientId}`);
      // The test runtime renders catalog keys as they are (the catalog says "clock: network" / "时钟：网络").
      assert.ok(infoLines('c1').includes(`${DEVICE}: iotda-at.clock.network`), infoLines('c1').join('\n'));
    });
  }

  it('a stored flow without signType still signs with type 0 (the default is for new nodes only)', async () => {
    helper.settings({ mqttAtConnectHostClock: () => Date.now() - DAY_MS });
    const flow = baseFlow('ec20', rig.emu.mqttPort);
    delete flow[2].signType;
    const online = nextEmulatorEvent(rig.emu, 'online');
    await helper.load([iotdaAt], [...flow, publisher], baseCreds('ec20'));
    const status = await statusWhere(helper.getNode('p1'), isOnline, 40000);
    assert.doesNotMatch(String(status.text), /clockSuffix/, 'no clock in the status for sign type 0');
    assert.match(String((await online as EmulatorEvent & { clientId?: string }).clientId), new RegExp(`^${DEVICE}_0_0_\\d{10}$`));
    assert.ok(!infoLines('c1').some((l) => /clock:/.test(l)), 'no clock line for sign type 0');
  });
});
