/**
 * The IoTDA emulator's own reading and writing of ClientIds, topics and times
 * (src/sim/iotda/wire-format.ts), checked against literal strings from docs/iotda.md, and the
 * product's builders (src/iotda) checked against the emulator's readers: the two sides are
 * written separately (docs/emulators.md, import rule), so these rows are where they must agree.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IotdaTopics as ProductTopics, iotdaCredentials } from '../../dist/iotda';
import { IotdaTopics, formatEventTime, parseClientId, parseUplinkTopic, validateDeviceId } from '../../dist/sim/iotda/wire-format';

const D = 'prod_dev-01';
const R = 'a1b2c3';

describe('IoTDA emulator wire formats', () => {
  const clientIds: [string, ReturnType<typeof parseClientId>][] = [
    ['a_b_c_0_0_2025041401', { deviceId: 'a_b_c', identityType: '0', signType: 0, timestamp: '2025041401' }],
    ['dev_0_1_2025041824', { deviceId: 'dev', identityType: '0', signType: 1, timestamp: '2025041824' }],
    ['dev_0_2_2025041401', undefined],
    ['dev_3_0_2025041401', undefined],
    ['dev_0_0_202504140', undefined],
    ['_0_0_2025041401', undefined],
  ];
  for (const [id, expected] of clientIds) {
    it(`reads ClientId ${id} from the right`, () => assert.deepEqual(parseClientId(id), expected));
  }

  const uplinks: [string, ReturnType<typeof parseUplinkTopic>][] = [
    [`$oc/devices/${D}/sys/properties/report`, { kind: 'properties-report', deviceId: D }],
    [`$oc/devices/${D}/sys/gateway/sub_devices/properties/report`, { kind: 'gateway-report', deviceId: D }],
    [`$oc/devices/${D}/sys/commands/response/request_id=${R}`, { kind: 'command-response', deviceId: D, requestId: R }],
    [`$oc/devices/${D}/sys/properties/set/response/request_id=${R}?request_id=zz`, { kind: 'property-set-response', deviceId: D, requestId: R }],
    [`$oc/devices/${D}/sys/properties/get/response/request_id=${R}`, { kind: 'property-get-response', deviceId: D, requestId: R }],
    [`$oc/devices/${D}/sys/shadow/get/request_id=${R}`, { kind: 'shadow-get', deviceId: D, requestId: R }],
    [`$oc/devices/${D}/sys/commands/response/request_id=a/request_id=b`, { kind: 'command-response', deviceId: D, requestId: 'b' }],
    [`$oc/devices/${D}/sys/commands/response/request_id=`, { kind: 'unknown', deviceId: D }],
    [`$oc/devices/${D}/sys/events/up`, { kind: 'event-up', deviceId: D }],
    [`$oc/devices/${D}/sys/messages/up`, { kind: 'message-up', deviceId: D }],
    [`$oc/devices/${D}/user/line1`, { kind: 'custom', deviceId: D }],
    [`$oc/devices/${D}/sys/other`, { kind: 'unknown', deviceId: D }],
    ['factory/temp', { kind: 'unknown' }],
  ];
  for (const [topic, expected] of uplinks) {
    it(`reads uplink ${topic.replace(`$oc/devices/${D}/`, '')} as ${expected?.kind}`, () => assert.deepEqual(parseUplinkTopic(topic), expected));
  }

  it('writes the downlink topics of docs/iotda.md §1.4', () => {
    assert.equal(IotdaTopics.messagesDown(D), `$oc/devices/${D}/sys/messages/down`);
    assert.equal(IotdaTopics.command(D, R), `$oc/devices/${D}/sys/commands/request_id=${R}`);
    assert.equal(IotdaTopics.propertiesSet(D, R), `$oc/devices/${D}/sys/properties/set/request_id=${R}`);
    assert.equal(IotdaTopics.propertiesGet(D, R), `$oc/devices/${D}/sys/properties/get/request_id=${R}`);
    assert.equal(IotdaTopics.shadowGetResponse(D, R), `$oc/devices/${D}/sys/shadow/get/response/request_id=${R}`);
    assert.equal(IotdaTopics.eventsDown(D), `$oc/devices/${D}/sys/events/down`);
    assert.equal(IotdaTopics.namespace(D), `$oc/devices/${D}/`);
  });

  it('writes times as yyyyMMddTHHmmssZ in UTC', () => {
    assert.equal(formatEventTime(new Date(Date.UTC(2026, 11, 7, 6, 4, 3, 999))), '20261207T060403Z');
    assert.equal(formatEventTime(new Date(Date.UTC(1999, 0, 1, 0, 0, 0))), '19990101T000000Z');
  });

  it('accepts device ids of 1-128 letters, digits, _ and -', () => {
    assert.equal(validateDeviceId('a-b_C9'), 'a-b_C9');
    assert.equal(validateDeviceId('x'.repeat(128)), 'x'.repeat(128));
    for (const bad of ['', 'x'.repeat(129), 'a b', 'a/b', 'a+b', 42]) assert.throws(() => validateDeviceId(bad), /device id/);
  });

  it("reads what the product writes: every uplink builder's topic and the ClientId", () => {
    const rows: [string, string][] = [
      [ProductTopics.propertiesReport(D), 'properties-report'],
      [ProductTopics.gatewaySubDevicesReport(D), 'gateway-report'],
      [ProductTopics.commandResponse(D, R), 'command-response'],
      [ProductTopics.propertiesSetResponse(D, R), 'property-set-response'],
      [ProductTopics.propertiesGetResponse(D, R), 'property-get-response'],
      [ProductTopics.shadowGet(D, R), 'shadow-get'],
      [ProductTopics.eventsUp(D), 'event-up'],
      [ProductTopics.messagesUp(D), 'message-up'],
      [ProductTopics.custom(D, 'line1'), 'custom'],
    ];
    for (const [topic, kind] of rows) {
      const read = parseUplinkTopic(topic);
      assert.equal(read.kind, kind, topic);
      assert.equal(read.deviceId, D, topic);
      if (read.requestId !== undefined) assert.equal(read.requestId, R, topic);
    }
    const creds = iotdaCredentials(D, 'secret', { signType: 1, now: new Date(Date.UTC(2026, 11, 7, 6)) });
    assert.deepEqual(parseClientId(creds.clientId), { deviceId: D, identityType: '0', signType: 1, timestamp: '2026120706' });
  });
});
