/**
 * Issue 10 item 5: a link drop while AT+MQTTPUBRAW data is entered makes ESP-AT print
 * `+MQTTDISCONNECTED:0` with no line end, straight before `+MQTTPUB:FAIL`. The driver sees both:
 * the publish fails at once (no timeout, no resync) and the link goes down.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ModemError } from '../../dist/modems/errors';
import { bringUp, espSuite, moduleOutput, sentLines } from './esp-rig';
import { EVENT_DEADLINE_MS, onceWithin } from './event-deadline';

const DEVICE = 'esp_glued_dev01';

describe('ESP8266: link drop during MQTTPUBRAW data entry (emulator + IoTDA emulator)', () => {
  const suite = espSuite([DEVICE]);

  it('the publish fails at once with +MQTTPUB:FAIL, the link goes down, nothing is resent', { timeout: EVENT_DEADLINE_MS }, async () => {
    const iotda = suite.iotda();
    const rig = suite.rig();
    await bringUp(rig, iotda, DEVICE);
    const down = onceWithin(rig.driver, 'linkDown');
    rig.emulator.faults.dropLinkDuringPublish();
    const linesBefore = sentLines(rig).length;
    const started = Date.now();
    await assert.rejects(rig.driver.publish(`$oc/devices/${DEVICE}/sys/properties/report`, Buffer.from('{"services":[]}'), 1), (err: unknown) => {
      assert.ok(err instanceof ModemError, String(err));
      assert.equal(err.code, '+MQTTPUB:FAIL');
      return true;
    });
    // Far below the 10 s publish timeout: the FAIL was seen, not waited out.
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    const [idx, reason] = await down;
    assert.equal(idx, 0);
    assert.match(reason, /MQTTDISCONNECTED/);
    assert.equal((rig.driver.session(0) as unknown as { isConnected: boolean }).isConnected, false);
    // The module's bytes really were glued.
    const out = moduleOutput(rig);
    assert.ok(out.includes("+MQTTDISCONNECTED:0+MQTTPUB:FAIL\r\n"), JSON.stringify(rig.emulator.transcript.slice(-12).map((t) => [t.dir, t.bytes.toString("latin1")])));
    // One PUBRAW and no resync `AT` after it.
    assert.deepEqual(sentLines(rig).slice(linesBefore).filter((l) => !l.startsWith('{')), [`AT+MQTTPUBRAW=0,"$oc/devices/${DEVICE}/sys/properties/report",15,1,0`]);
    assert.ok(!rig.trace.some((l) => /resync/i.test(l)), rig.trace.filter((l) => /resync/i.test(l)).join('\n'));
  });
});
