import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IotdaTopics, systemSubscriptions, parseDownlinkTopic, parseUplinkTopic, checkTopicLength, IotdaError } from '../../dist/iotda';
import { inDeviceNamespace } from '../../dist/iotda/topics';

const D = '5f052ac562369102d42b0fb6_demo';
const R = '3f0c4d1e-7b7a-4f7e-9b1d-2c6a1f1e0a55';

describe('iotda topics', () => {
  const builders: [string, string][] = [
    [IotdaTopics.messagesUp(D), `$oc/devices/${D}/sys/messages/up`],
    [IotdaTopics.messagesDown(D), `$oc/devices/${D}/sys/messages/down`],
    [IotdaTopics.propertiesReport(D), `$oc/devices/${D}/sys/properties/report`],
    [IotdaTopics.gatewaySubDevicesReport(D), `$oc/devices/${D}/sys/gateway/sub_devices/properties/report`],
    [IotdaTopics.command(D, R), `$oc/devices/${D}/sys/commands/request_id=${R}`],
    [IotdaTopics.commandResponse(D, R), `$oc/devices/${D}/sys/commands/response/request_id=${R}`],
    [IotdaTopics.propertiesSet(D, R), `$oc/devices/${D}/sys/properties/set/request_id=${R}`],
    [IotdaTopics.propertiesSetResponse(D, R), `$oc/devices/${D}/sys/properties/set/response/request_id=${R}`],
    [IotdaTopics.propertiesGet(D, R), `$oc/devices/${D}/sys/properties/get/request_id=${R}`],
    [IotdaTopics.propertiesGetResponse(D, R), `$oc/devices/${D}/sys/properties/get/response/request_id=${R}`],
    [IotdaTopics.shadowGet(D, R), `$oc/devices/${D}/sys/shadow/get/request_id=${R}`],
    [IotdaTopics.shadowGetResponse(D, R), `$oc/devices/${D}/sys/shadow/get/response/request_id=${R}`],
    [IotdaTopics.eventsUp(D), `$oc/devices/${D}/sys/events/up`],
    [IotdaTopics.eventsDown(D), `$oc/devices/${D}/sys/events/down`],
    [IotdaTopics.custom(D, 'alarm'), `$oc/devices/${D}/user/alarm`],
  ];
  builders.forEach(([got, want], i) => it(`builder ${i}: ${want.slice(40)}`, () => assert.equal(got, want)));

  it('builders refuse bad device ids and wildcard request ids', () => {
    assert.throws(() => IotdaTopics.messagesUp('a/b'), IotdaError);
    assert.throws(() => IotdaTopics.commandResponse(D, 'x#'), IotdaError);
    assert.throws(() => IotdaTopics.commandResponse(D, ''), IotdaError);
  });

  it('systemSubscriptions lists the six filters of §1.5', () => {
    assert.deepEqual(systemSubscriptions('d1'), [
      '$oc/devices/d1/sys/messages/down',
      '$oc/devices/d1/sys/commands/#',
      '$oc/devices/d1/sys/properties/set/#',
      '$oc/devices/d1/sys/properties/get/#',
      '$oc/devices/d1/sys/shadow/get/response/#',
      '$oc/devices/d1/sys/events/down',
    ]);
  });

  const downlinks: [string, ReturnType<typeof parseDownlinkTopic>][] = [
    [`$oc/devices/${D}/sys/messages/down`, { kind: 'message', deviceId: D }],
    [`$oc/devices/${D}/sys/commands/request_id=${R}`, { kind: 'command', deviceId: D, requestId: R }],
    [`$oc/devices/${D}/sys/properties/set/request_id=${R}`, { kind: 'property-set', deviceId: D, requestId: R }],
    [`$oc/devices/${D}/sys/properties/get/request_id=${R}`, { kind: 'property-get', deviceId: D, requestId: R }],
    [`$oc/devices/${D}/sys/shadow/get/response/request_id=${R}`, { kind: 'shadow-response', deviceId: D, requestId: R }],
    [`$oc/devices/${D}/sys/events/down`, { kind: 'event', deviceId: D }],
    [`$oc/devices/${D}/user/led`, { kind: 'custom', deviceId: D }],
    // Everything after the LAST request_id= is the id; the query is stripped.
    [`$oc/devices/${D}/sys/commands/request_id=a/request_id=b`, { kind: 'command', deviceId: D, requestId: 'b' }],
    [`$oc/devices/${D}/sys/commands/request_id=${R}?encoding=gzip`, { kind: 'command', deviceId: D, requestId: R }],
    [`$oc/devices/${D}/sys/commands/request_id=`, { kind: 'unknown', deviceId: D }],
    [`$oc/devices/${D}/sys/other`, { kind: 'unknown', deviceId: D }],
    ['sensors/temp', { kind: 'unknown' }],
  ];
  for (const [topic, expected] of downlinks) {
    it(`parseDownlinkTopic ${topic.slice(topic.indexOf('/sys') >= 0 ? topic.indexOf('/sys') : 0)}`, () => {
      assert.deepEqual(parseDownlinkTopic(topic), expected);
    });
  }

  const uplinks: [string, ReturnType<typeof parseUplinkTopic>][] = [
    [IotdaTopics.propertiesReport(D), { kind: 'properties-report', deviceId: D }],
    [IotdaTopics.commandResponse(D, R), { kind: 'command-response', deviceId: D, requestId: R }],
    [IotdaTopics.propertiesSetResponse(D, R) + '?request_id=zz', { kind: 'property-set-response', deviceId: D, requestId: R }],
    [IotdaTopics.propertiesGetResponse(D, R), { kind: 'property-get-response', deviceId: D, requestId: R }],
    [IotdaTopics.shadowGet(D, R), { kind: 'shadow-get', deviceId: D, requestId: R }],
    [IotdaTopics.eventsUp(D), { kind: 'event-up', deviceId: D }],
    [IotdaTopics.messagesUp(D), { kind: 'message-up', deviceId: D }],
  ];
  for (const [topic, expected] of uplinks) {
    it(`parseUplinkTopic ${expected.kind}`, () => assert.deepEqual(parseUplinkTopic(topic), expected));
  }

  it('checkTopicLength counts bytes and never truncates', () => {
    const t = IotdaTopics.propertiesSetResponse('d'.repeat(40), R);
    assert.equal(Buffer.byteLength(t), 128);
    assert.equal(checkTopicLength(t), t);
    const long = IotdaTopics.propertiesSetResponse('d'.repeat(41), R);
    assert.throws(() => checkTopicLength(long), (e: unknown) => e instanceof IotdaError && e.code === 'topic-too-long' && /129 bytes, the limit is 128/.test(e.message));
    assert.throws(() => checkTopicLength('$oc/é', 5), /6 bytes/);
    assert.equal(checkTopicLength(IotdaTopics.propertiesReport('d'), 64), '$oc/devices/d/sys/properties/report');
  });
  it('moves another device\'s $oc topics into this device\'s namespace, and leaves the rest alone', () => {
    assert.equal(inDeviceNamespace('$oc/devices/old_dev/sys/properties/report', 'new_dev'), '$oc/devices/new_dev/sys/properties/report');
    assert.equal(inDeviceNamespace('$oc/devices/old_dev/sys/commands/response/request_id=r1', 'new_dev'), '$oc/devices/new_dev/sys/commands/response/request_id=r1');
    assert.equal(inDeviceNamespace('$oc/devices/new_dev/sys/messages/up', 'new_dev'), '$oc/devices/new_dev/sys/messages/up');
    assert.equal(inDeviceNamespace('factory/line1/temp', 'new_dev'), 'factory/line1/temp');
    assert.equal(inDeviceNamespace('$oc/devices/', 'new_dev'), '$oc/devices/');
  });
});
