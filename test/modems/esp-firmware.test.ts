/**
 * Credentials per ESP-AT version (issue 10 item 4): 2.2.0.0 and 2.2.1.0 have no AT+MQTTLONG*
 * (first in 2.2.2.0), take up to 256 bytes per MQTTUSERCFG field and have
 * AT+MQTTCLIENTID/USERNAME/PASSWORD. The driver chooses from AT+GMR; the emulator plays each version.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { credentialCommandsFor } from '../../dist/modems/esp-session';
import { bringUp, espSuite, sentLines } from './esp-rig';
import { EVENT_DEADLINE_MS } from './event-deadline';

const LONG_ID = `5f052ac562369102d42b0fb6_${'n'.repeat(55)}`; // 80 characters

describe('ESP-AT credentials per firmware version (emulator + IoTDA emulator)', () => {
  const suite = espSuite([LONG_ID, 'short_dev01']);

  for (const firmware of ['2.2.0.0', '2.2.1.0'] as const) {
    it(`${firmware}: an 80-character device id connects without any AT+MQTTLONG* command`, { timeout: EVENT_DEADLINE_MS }, async () => {
      const iotda = suite.iotda();
      const rig = suite.rig({ espFirmware: firmware });
      await bringUp(rig, iotda, LONG_ID);
      assert.equal(iotda.getDevice(LONG_ID)?.online, true);
      const lines = sentLines(rig);
      assert.deepEqual(lines.filter((l) => l.startsWith('AT+MQTTLONG')), []);
      // The username (80 bytes) stays in MQTTUSERCFG (256 per field); the client id moves out to keep the line short.
      const cfg = lines.find((l) => l.startsWith('AT+MQTTUSERCFG='));
      assert.ok(cfg?.includes(`,"","${LONG_ID}",`), cfg);
      assert.ok(lines.some((l) => l.startsWith(`AT+MQTTCLIENTID=0,"${LONG_ID}_0_0_`)), lines.join('\n'));
      assert.deepEqual(rig.emulator.violations, []);
    });
  }

  for (const firmware of ['2.2.2.0', '2.3.0.0'] as const) {
    it(`${firmware}: the same device id goes through AT+MQTTLONGUSERNAME (username over 64 bytes)`, { timeout: EVENT_DEADLINE_MS }, async () => {
      const iotda = suite.iotda();
      const rig = suite.rig({ espFirmware: firmware });
      await bringUp(rig, iotda, LONG_ID);
      assert.equal(iotda.getDevice(LONG_ID)?.online, true);
      const lines = sentLines(rig);
      assert.ok(lines.includes(`AT+MQTTLONGUSERNAME=0,${LONG_ID.length}`), lines.join('\n'));
      assert.deepEqual(rig.emulator.violations, []);
    });
  }

  it('2.2.0.0 answers AT+MQTTLONGUSERNAME with ERROR and takes a 100-byte username in MQTTUSERCFG', { timeout: EVENT_DEADLINE_MS }, async () => {
    const rig = suite.rig({ espFirmware: '2.2.0.0', strict: false });
    await rig.driver.init();
    const user = 'u'.repeat(100);
    await rig.driver.channel.command({ template: `AT+MQTTUSERCFG=0,1,"c","${user}","p",0,0,""` });
    await assert.rejects(rig.driver.channel.command({ template: 'AT+MQTTLONGUSERNAME=0,5', prompt: { data: Buffer.from('hello'), okBeforePrompt: true }, timeoutMs: 2000 }));
  });

  it('the choice follows the version: LONG* from 2.2.2 on, 256-byte fields before', () => {
    const limits = { clientIdBytes: 256, usernameBytes: 64, passwordBytes: 64 };
    assert.deepEqual(credentialCommandsFor('2.2.0.0', limits), { long: false, userCfgBytes: { clientId: 256, username: 256, password: 256 } });
    assert.equal(credentialCommandsFor('2.2.1.0', limits).long, false);
    assert.equal(credentialCommandsFor('2.1.0.0', limits).long, false);
    assert.deepEqual(credentialCommandsFor('2.2.2.0', limits), { long: true, userCfgBytes: { clientId: 256, username: 64, password: 64 } });
    assert.equal(credentialCommandsFor('2.3.0.0', limits).long, true);
    assert.equal(credentialCommandsFor('3.2.0.0', limits).long, true);
    assert.equal(credentialCommandsFor('', limits).long, true);
  });
});
