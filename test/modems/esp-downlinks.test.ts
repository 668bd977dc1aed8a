/**
 * Downlinks and publishes as the ESP8266 firmware frames them (issue 10 items 6 and 11), through
 * the emulated module and the IoTDA emulator: pieces of a message over the 512-byte MQTT buffer
 * are joined by their framing, separate short messages stay separate, an oversized MQTTPUBRAW is
 * taken and then fails, and a repeated subscribe on 2.2.0.0 (no ALREADY SUBSCRIBE on the AT port) works.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadProfile } from '../../dist/modems/load-profile';
import { ModemError, PayloadRejectedError } from '../../dist/modems/errors';
import { bringUp, espSuite, moduleOutput, type EspRig, type RigArgs } from './esp-rig';
import { EVENT_DEADLINE_MS, within } from './event-deadline';

const DEVICE = 'esp_prod_dev01';
const DOWN = `$oc/devices/${DEVICE}/sys/messages/down`;

/** Resolves with the first `n` messages the driver delivers. */
function messages(rig: EspRig, n: number): Promise<string[]> {
  const got: string[] = [];
  return within(
    new Promise((resolve) => {
      rig.driver.on('message', (_idx: number, _topic: string, payload: Buffer) => {
        got.push(payload.toString('utf8'));
        if (got.length === n) resolve(got);
      });
    }),
    `${n} downlink messages (got ${got.length})`,
  );
}

describe('ESP8266 downlink pieces and publish limits (emulator + IoTDA emulator)', () => {
  const suite = espSuite([DEVICE]);

  async function connectedRig(...args: RigArgs): Promise<EspRig> {
    const iotda = suite.iotda();
    const rig = suite.rig(...args);
    await bringUp(rig, iotda, DEVICE);
    return rig;
  }

  it('two separate short text downlinks ON and OFF stay two messages', { timeout: EVENT_DEADLINE_MS }, async () => {
    const iotda = suite.iotda();
    const rig = await connectedRig();
    const got = messages(rig, 2);
    iotda.sendMessage(DEVICE, 'ON', { raw: true });
    iotda.sendMessage(DEVICE, 'OFF', { raw: true });
    assert.deepEqual(await got, ['ON', 'OFF']);
  });

  it('a 1500-byte downlink arrives in 512-byte pieces and comes out as one message', { timeout: EVENT_DEADLINE_MS }, async () => {
    const iotda = suite.iotda();
    const rig = await connectedRig();
    const got = messages(rig, 2);
    const big = { blob: 'b'.repeat(1500) };
    iotda.sendMessage(DEVICE, big);
    iotda.sendMessage(DEVICE, 'after');
    const [first, second] = await got;
    assert.deepEqual(JSON.parse(first).content, big);
    assert.equal(JSON.parse(second).content, 'after');
    // The module really printed several pieces, each with the topic.
    const out = moduleOutput(rig);
    const pieces = out.match(new RegExp(`\\+MQTTSUBRECV:0,"${DOWN.replace(/\$/g, '\\$')}",\\d+,`, 'g')) ?? [];
    assert.ok(pieces.length >= 5, `pieces: ${pieces.length}`);
  });

  it('a firmware built with a 1024-byte buffer and a profile that says so: pieces of 1024 are joined', { timeout: EVENT_DEADLINE_MS }, async () => {
    const iotda = suite.iotda();
    const profile = loadProfile({ extends: 'esp8266', name: 'esp8266-buf1024', limits: { mqttBufferBytes: 1024 } });
    const rig = await connectedRig({ espMqttBufferBytes: 1024 }, profile);
    const got = messages(rig, 1);
    const big = { blob: 'c'.repeat(2500) };
    iotda.sendMessage(DEVICE, big);
    assert.deepEqual(JSON.parse((await got)[0]).content, big);
  });

  it('an MQTTPUBRAW over the module buffer is taken after OK and >, then fails: a clear permanent error', { timeout: EVENT_DEADLINE_MS }, async () => {
    const iotda = suite.iotda();
    // The profile claims a bigger buffer than the stock module has, so the driver sends it.
    const profile = loadProfile({ extends: 'esp8266', name: 'esp8266-overclaimed', limits: { mqttBufferBytes: 1024 } });
    const rig = await connectedRig({}, profile);
    const payload = Buffer.from(JSON.stringify({ services: [{ service_id: 's', properties: { v: 'x'.repeat(600) } }] }));
    await assert.rejects(rig.driver.publish(`$oc/devices/${DEVICE}/sys/properties/report`, payload, 0), (err: unknown) => {
      assert.ok(err instanceof PayloadRejectedError, String(err));
      assert.match(err.message, /larger than its MQTT buffer/);
      assert.equal((err as { kind?: string }).kind ?? 'permanent', 'permanent');
      return true;
    });
    // Nothing went out, and the link is still usable.
    assert.equal(iotda.getDevice(DEVICE)?.online, true);
    await rig.driver.publish(`$oc/devices/${DEVICE}/sys/properties/report`, Buffer.from('{"services":[{"service_id":"s","properties":{"v":1}}]}'), 0);
  });

  it('a big publish that fails because the link dropped stays a transient failure, not a refused message', { timeout: EVENT_DEADLINE_MS }, async () => {
    const profile = loadProfile({ extends: 'esp8266', name: 'esp32-like', limits: { mqttBufferBytes: 1024 } });
    const rig = await connectedRig({ espMqttBufferBytes: 1024 }, profile);
    rig.emulator.faults.dropLinkDuringPublish();
    const payload = Buffer.from(JSON.stringify({ services: [{ service_id: 's', properties: { v: 'y'.repeat(600) } }] }));
    await assert.rejects(rig.driver.publish(`$oc/devices/${DEVICE}/sys/properties/report`, payload, 0), (err: unknown) => {
      assert.ok(err instanceof ModemError && !(err instanceof PayloadRejectedError), String(err));
      assert.equal(err.code, '+MQTTPUB:FAIL');
      return true;
    });
  });

  it('2.2.0.0: subscribing again gets a bare OK (ALREADY SUBSCRIBE is on the log UART) and succeeds', { timeout: EVENT_DEADLINE_MS }, async () => {
    const rig = await connectedRig({ espFirmware: '2.2.0.0' });
    assert.equal(await rig.driver.subscribe(DOWN, 1), 1);
    const out = moduleOutput(rig);
    assert.ok(!out.includes('ALREADY SUBSCRIBE'));
  });
});
