/**
 * Issue 10 item 10: after a reset the ESP8266 prints its boot ROM log at 74880 baud, which a
 * 115200 host receives as garbage, and `ready` may be lost. The driver treats the garbage as a
 * restart sign, so no session state survives a restart without `ready`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { bringUp, espSuite, moduleOutput, sentLines } from './esp-rig';
import { EVENT_DEADLINE_MS, onceWithin } from './event-deadline';

const DEVICE = 'esp_restart_dev01';

describe('ESP8266: a restart without ready (emulator + IoTDA emulator)', () => {
  const suite = espSuite([DEVICE]);

  it('the ROM log garbage is noticed as a restart: the session is gone and a new bring-up configures everything again', { timeout: EVENT_DEADLINE_MS }, async () => {
    const iotda = suite.iotda();
    const rig = suite.rig();
    const poweredOn = Date.now();
    await bringUp(rig, iotda, DEVICE);
    // The module runs a while before it resets: the channel takes ROM-log lines within 2 s of the
    // previous ones as the same boot (docs/at-channel.md), and the power-on printed one too.
    await sleep(Math.max(0, poweredOn + 2100 - Date.now()));
    const session = rig.driver.session(0) as unknown as { isConnected: boolean };
    assert.equal(session.isConnected, true);
    const outBefore = moduleOutput(rig).length;
    const offline = onceWithin(iotda, 'offline');
    const up = onceWithin(rig.emulator, 'up');
    const rebooted = onceWithin(rig.driver, 'reboot');
    rig.emulator.faults.rebootWithoutReady();
    await offline;
    await up;
    // The next command's echo follows the ROM garbage on its line: that line is the restart sign.
    await rig.driver.signal().catch(() => undefined);
    await rebooted;
    assert.equal(session.isConnected, false);
    const after = moduleOutput(rig).slice(outBefore);
    assert.ok(!after.includes('ready'), 'this restart printed no ready');
    assert.ok(after.startsWith('rl'), `ROM log garbage first: ${JSON.stringify(after.slice(0, 20))}`);
    // A new bring-up on the same port: echo off, Wi-Fi and the MQTT client configured again.
    const linesBefore = sentLines(rig).length;
    await bringUp(rig, iotda, DEVICE);
    const again = sentLines(rig).slice(linesBefore);
    for (const prefix of ['ATE0', 'AT+CWJAP=', 'AT+MQTTUSERCFG=', 'AT+MQTTCONN=', 'AT+MQTTSUB=']) {
      assert.ok(again.some((l) => l.startsWith(prefix)), `${prefix} sent again:\n${again.join('\n')}`);
    }
    assert.equal(iotda.getDevice(DEVICE)?.online, true);
    await rig.driver.publish(`$oc/devices/${DEVICE}/sys/properties/report`, Buffer.from('{"services":[{"service_id":"s","properties":{"up":1}}]}'), 1);
  });

  it('a restart the host saw nothing of is noticed by the echo that is back on', { timeout: EVENT_DEADLINE_MS }, async () => {
    const iotda = suite.iotda();
    const rig = suite.rig();
    await bringUp(rig, iotda, DEVICE);
    const session = rig.driver.session(0) as unknown as { isConnected: boolean };
    const outBefore = moduleOutput(rig).length;
    const offline = onceWithin(iotda, 'offline');
    const up = onceWithin(rig.emulator, 'up');
    const rebooted = onceWithin(rig.driver, 'reboot');
    rig.emulator.faults.rebootUnseen();
    await offline;
    await up;
    assert.equal(moduleOutput(rig).length, outBefore, 'the module printed nothing');
    await rig.driver.signal().catch(() => undefined);
    await rebooted;
    assert.equal(session.isConnected, false);
    await bringUp(rig, iotda, DEVICE);
    assert.equal(iotda.getDevice(DEVICE)?.online, true);
  });
});
