import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildPropertyReport,
  buildGatewayReport,
  buildCommandResponse,
  buildPropertySetResponse,
  buildPropertyGetResponse,
  buildEventsUp,
  buildTimeSyncRequest,
  formatEventTime,
  encodeUplink,
  parseDownlink,
  deviceTimeFromSync,
  IotdaError,
} from '../../dist/iotda';

const isCode = (code: string, re?: RegExp) => (e: unknown) => e instanceof IotdaError && e.code === code && (!re || re.test(e.message));

describe('iotda payloads', () => {
  it('formatEventTime writes yyyyMMddTHHmmssZ in UTC', () => {
    assert.equal(formatEventTime(new Date('2015-12-12T12:12:12.345Z')), '20151212T121212Z');
    assert.throws(() => formatEventTime(new Date('nope')), isCode('bad-payload'));
  });

  it('buildPropertyReport wraps values for one service', () => {
    assert.deepEqual(buildPropertyReport('Temperature', { value: 57, value2: 60 }), {
      services: [{ service_id: 'Temperature', properties: { value: 57, value2: 60 } }],
    });
    assert.deepEqual(buildPropertyReport('T', { v: 1 }, { eventTime: new Date('2019-06-06T12:12:12Z') }), {
      services: [{ service_id: 'T', properties: { v: 1 }, event_time: '20190606T121212Z' }],
    });
    assert.equal(buildPropertyReport('T', { v: 1 }, { eventTime: '2019-06-06T12:12:12.000Z' }).services[0].event_time, '2019-06-06T12:12:12.000Z');
  });

  it('a payload that already has services passes through, validated', () => {
    const full = { services: [{ service_id: 'A', properties: { x: 1 } }, { service_id: 'B', properties: {} }] };
    assert.deepEqual(buildPropertyReport('ignored', full), full);
    assert.throws(() => buildPropertyReport('x', { services: [{ properties: {} }] }), isCode('bad-payload', /service_id/));
    assert.throws(() => buildPropertyReport('x', { services: [] }), isCode('bad-payload', /non-empty/));
    assert.throws(() => buildPropertyReport('x', { services: [{ service_id: 'A', properties: [1] }] }), isCode('bad-payload', /properties/));
  });

  const badReports: [string, unknown, unknown, RegExp][] = [
    ['no service id', '', { v: 1 }, /service id/],
    ['array values', 'T', [1, 2], /object/],
    ['string values', 'T', 'hot', /object/],
  ];
  for (const [name, sid, values, re] of badReports) {
    it(`buildPropertyReport rejects ${name}`, () => {
      assert.throws(() => buildPropertyReport(sid as string, values as Record<string, unknown>), isCode('bad-payload', re));
    });
  }

  it('rejects a malformed event time string', () => {
    assert.throws(() => buildPropertyReport('T', { v: 1 }, { eventTime: '2019-06-06' }), isCode('bad-payload', /event time/));
  });

  it('buildGatewayReport checks the sub-device count', () => {
    const dev = { device_id: 'sub', services: [{ service_id: 'analog', properties: { a: '1' } }] };
    assert.deepEqual(buildGatewayReport([dev]), { devices: [dev] });
    assert.throws(() => buildGatewayReport(Array(101).fill(dev)), /1 to 100/);
  });

  it('response builders', () => {
    assert.deepEqual(buildCommandResponse({ resultCode: 0, responseName: 'COMMAND_RESPONSE', paras: { result: 'success' } }), {
      result_code: 0,
      response_name: 'COMMAND_RESPONSE',
      paras: { result: 'success' },
    });
    assert.deepEqual(buildCommandResponse({}), { result_code: 0 });
    assert.throws(() => buildCommandResponse({ resultCode: 1.5 }), /integer/);
    assert.throws(() => buildCommandResponse({ paras: 'x' as unknown as Record<string, unknown> }), /paras/);
    assert.deepEqual(buildPropertySetResponse({ resultCode: 1, resultDesc: 'busy' }), { result_code: 1, result_desc: 'busy' });
    assert.deepEqual(buildPropertySetResponse({}), { result_code: 0 });
    assert.deepEqual(buildPropertyGetResponse({ serviceId: 'T', properties: { value: 57 } }), {
      services: [{ service_id: 'T', properties: { value: 57 } }],
    });
    assert.deepEqual(buildPropertyGetResponse([{ service_id: 'T', properties: { value: 1 } }]), {
      services: [{ service_id: 'T', properties: { value: 1 } }],
    });
    assert.throws(() => buildPropertyGetResponse([]), /non-empty/);
  });

  it('events and time sync', () => {
    const ev = { service_id: '$ota', event_type: 'version_report', paras: { sw_version: 'v1.0', fw_version: 'v1.0' } };
    assert.deepEqual(buildEventsUp(ev, 'd1'), { services: [ev], object_device_id: 'd1' });
    assert.throws(() => buildEventsUp([]), /at least one/);
    assert.throws(() => buildEventsUp({ service_id: 'x' } as never), /event_type/);
    assert.deepEqual(buildTimeSyncRequest(new Date(1582685678789)), {
      services: [{ service_id: '$time_sync', event_type: 'time_sync_request', paras: { device_send_time: 1582685678789 } }],
    });
  });

  it('deviceTimeFromSync follows §1.6', () => {
    const paras = { device_send_time: 1000, server_recv_time: 5000, server_send_time: 5010 };
    // (5000 + 5010 + 1030 - 1000) / 2
    assert.equal(deviceTimeFromSync(paras, 1030), 5020);
    assert.equal(deviceTimeFromSync(paras, new Date(1030)), 5020);
    assert.throws(() => deviceTimeFromSync({ device_send_time: 1 } as never, 2), isCode('bad-downlink', /server_recv_time/));
  });

  it('encodeUplink serialises and enforces the size limit', () => {
    assert.equal(encodeUplink({ a: 1 }).toString(), '{"a":1}');
    assert.equal(encodeUplink('héllo').length, 6);
    assert.deepEqual(encodeUplink(Buffer.from([1, 2])), Buffer.from([1, 2]));
    assert.throws(() => encodeUplink('x'.repeat(11), 10), isCode('payload-too-large', /11 bytes, the limit is 10 bytes/));
    assert.throws(() => encodeUplink(Buffer.alloc(1024 * 1024 + 1)), isCode('payload-too-large'));
    assert.throws(() => encodeUplink(null as never), isCode('bad-payload', /null/));
  });

  const good: [Parameters<typeof parseDownlink>[0], string, unknown][] = [
    ['command', '{"object_device_id":"d","command_name":"ON_OFF","service_id":"WaterMeter","paras":{"value":"1"}}', { object_device_id: 'd', command_name: 'ON_OFF', service_id: 'WaterMeter', paras: { value: '1' } }],
    ['command', '{"command_name":"X"}', { command_name: 'X', paras: {} }],
    ['property-set', '{"services":[{"service_id":"T","properties":{"value":57}}]}', { services: [{ service_id: 'T', properties: { value: 57 } }] }],
    ['property-get', '{"object_device_id":"d","service_id":"T"}', { object_device_id: 'd', service_id: 'T' }],
    ['shadow-response', '{"shadow":[]}', { shadow: [] }],
    ['event', '{"services":[{"service_id":"$time_sync","event_type":"time_sync_response","paras":{}}]}', { services: [{ service_id: '$time_sync', event_type: 'time_sync_response', paras: {} }] }],
    ['message', '{"content":"hello"}', { content: 'hello' }],
    ['message', 'raw bytes', 'raw bytes'],
  ];
  good.forEach(([kind, body, value], i) => {
    it(`parseDownlink ${kind} #${i}`, () => assert.deepEqual(parseDownlink(kind, Buffer.from(body)), { kind, value }));
  });

  const bad: [Parameters<typeof parseDownlink>[0], string, RegExp][] = [
    ['command', '{"paras":', /not JSON/],
    ['command', '[1]', /not a JSON object/],
    ['command', '{"paras":"x"}', /paras/],
    ['property-set', '{"services":{}}', /services array/],
    ['property-set', '{"services":[{"service_id":"T"}]}', /services\[0\]/],
    ['property-get', '"x"', /not a JSON object/],
    ['event', '{}', /services array/],
    ['shadow-response', '{}', /shadow array/],
  ];
  for (const [kind, body, re] of bad) {
    it(`parseDownlink rejects ${kind} ${body}`, () => assert.throws(() => parseDownlink(kind, Buffer.from(body)), isCode('bad-downlink', re)));
  }
});
