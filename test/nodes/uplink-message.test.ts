import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildUplink, translatePublishError } from '../../dist/nodes/uplink-message';
import { payloadAs, downlinkMsg } from '../../dist/nodes/at-subscribe';
import { parsePort } from '../../dist/nodes/modem-port';
import { linkStatusView } from '../../dist/nodes/status-view';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AtTimeoutError } from '../../dist/at/errors';
import { LinkError } from '../../dist/link/errors';
import { ModemError } from '../../dist/modems/errors';
import { serialTimeoutAdvice } from '../../dist/transport/serial-port-list';

const D = 'prod_dev01';
const T = `$oc/devices/${D}/sys`;

describe('buildUplink: every at-publish kind', () => {
  const ok: { name: string; spec: Record<string, unknown>; msg: Record<string, unknown>; topic: string; body: unknown }[] = [
    { name: 'property values', spec: { kind: 'property', serviceId: 'env' }, msg: { payload: { t: 21 } }, topic: `${T}/properties/report`, body: { services: [{ service_id: 'env', properties: { t: 21 } }] } },
    { name: 'msg.serviceId overrides', spec: { kind: 'property', serviceId: 'env' }, msg: { serviceId: 'x', payload: { t: 1 } }, topic: `${T}/properties/report`, body: { services: [{ service_id: 'x', properties: { t: 1 } }] } },
    { name: 'full report passes through', spec: { kind: 'property' }, msg: { payload: { services: [{ service_id: 's', properties: { a: 1 } }] } }, topic: `${T}/properties/report`, body: { services: [{ service_id: 's', properties: { a: 1 } }] } },
    { name: 'message object', spec: { kind: 'message' }, msg: { payload: { hello: 1 } }, topic: `${T}/messages/up`, body: { hello: 1 } },
    { name: 'message text', spec: { kind: 'message' }, msg: { payload: 'hi' }, topic: `${T}/messages/up`, body: 'hi' },
    { name: 'command response', spec: { kind: 'command-response' }, msg: { requestId: 'r1', payload: { result_code: 0, paras: { led: 1 } } }, topic: `${T}/commands/response/request_id=r1`, body: { result_code: 0, paras: { led: 1 } } },
    { name: 'command response from paras', spec: { kind: 'command-response' }, msg: { requestId: 'r1', payload: { led: 1 } }, topic: `${T}/commands/response/request_id=r1`, body: { result_code: 0, paras: { led: 1 } } },
    { name: 'property-set response default', spec: { kind: 'property-set-response' }, msg: { requestId: 'r2' }, topic: `${T}/properties/set/response/request_id=r2`, body: { result_code: 0 } },
    { name: 'property-get response values', spec: { kind: 'property-get-response', serviceId: 'env' }, msg: { requestId: 'r3', payload: { t: 2 } }, topic: `${T}/properties/get/response/request_id=r3`, body: { services: [{ service_id: 'env', properties: { t: 2 } }] } },
    { name: 'event entry', spec: { kind: 'event', serviceId: '$sub' }, msg: { payload: { event_type: 'x', paras: {} } }, topic: `${T}/events/up`, body: { services: [{ service_id: '$sub', event_type: 'x', paras: {} }] } },
    { name: 'raw with topic template', spec: { kind: 'raw', topic: `$oc/devices/${D}/user/{{topic}}` }, msg: { topic: 'up', payload: 'x' }, topic: `$oc/devices/${D}/user/up`, body: 'x' },
    { name: 'payload template', spec: { kind: 'property', serviceId: 'env', template: '{"t": {{payload.t}}, "n": "{{name}}"}' }, msg: { payload: { t: 5 }, name: 'a&b' }, topic: `${T}/properties/report`, body: { services: [{ service_id: 'env', properties: { t: 5, n: 'a&b' } }] } },
  ];
  for (const c of ok) {
    it(c.name, () => {
      const u = buildUplink({ deviceId: D, ...c.spec } as never, c.msg);
      assert.equal(u.topic, c.topic);
      const text = u.payload.toString('utf8');
      assert.deepEqual(typeof c.body === 'string' ? text : JSON.parse(text), c.body);
    });
  }

  const bad: { name: string; spec: Record<string, unknown>; msg: Record<string, unknown>; key: string }[] = [
    { name: 'property from a string', spec: { kind: 'property', serviceId: 'env' }, msg: { payload: 'x' }, key: 'iotda-at.errors.invalidPayload' },
    { name: 'property without service', spec: { kind: 'property' }, msg: { payload: { a: 1 } }, key: 'iotda-at.errors.invalidPayload' },
    { name: 'response without request id', spec: { kind: 'command-response' }, msg: { payload: {} }, key: 'iotda-at.errors.missingRequestId' },
    { name: 'raw topic with wildcard', spec: { kind: 'raw', topic: 'a/#' }, msg: { payload: 'x' }, key: 'iotda-at.errors.invalidTopic' },
    { name: 'too large', spec: { kind: 'message', maxBytes: 4 }, msg: { payload: 'hello' }, key: 'iotda-at.errors.payloadTooLarge' },
    { name: 'unknown kind', spec: { kind: 'nope' }, msg: { payload: 1 }, key: 'iotda-at.errors.invalidKind' },
  ];
  for (const c of bad) {
    it(`refuses: ${c.name}`, () => {
      assert.throws(
        () => buildUplink({ deviceId: D, ...c.spec } as never, c.msg),
        (err: unknown) => translatePublishError(err, 'ec20').key === c.key,
      );
    });
  }
});

describe('at-subscribe output and port names', () => {
  it('payloadAs: auto parses JSON, else string; string and buffer modes', () => {
    assert.deepEqual(payloadAs('auto', Buffer.from('{"a":1}')), { a: 1 });
    assert.equal(payloadAs('auto', Buffer.from('not json')), 'not json');
    assert.equal(payloadAs('string', Buffer.from('{"a":1}')), '{"a":1}');
    assert.ok(Buffer.isBuffer(payloadAs('buffer', Buffer.from([0, 1]))));
  });

  it('downlinkMsg: commands carry requestId, deviceId and msg.command', () => {
    const msg = downlinkMsg(
      { topic: `${T}/commands/request_id=9`, payload: Buffer.from('{"service_id":"s","command_name":"LED","paras":{"on":1}}'), kind: 'command', deviceId: D, requestId: '9' },
      'auto',
    );
    assert.equal(msg.requestId, '9');
    assert.equal(msg.deviceId, D);
    assert.deepEqual(msg.command, { service_id: 's', command_name: 'LED', paras: { on: 1 } });
  });

  const ports: [string, unknown][] = [
    ['sim:ec20', { kind: 'sim', model: 'ec20' }],
    ['sim:nokia', undefined],
    ['tcp://10.0.0.5:4001', { kind: 'tcp', host: '10.0.0.5', port: 4001 }],
    ['tcp://host:99999', undefined],
    ['/dev/ttyUSB2', { kind: 'serial', path: '/dev/ttyUSB2' }],
    ['', undefined],
  ];
  for (const [p, want] of ports) {
    it(`parsePort(${JSON.stringify(p)})`, () => assert.deepEqual(parsePort(p), want));
  }

  it('status view: connecting step, online signal, queued, error', () => {
    const _ = (k: string, p?: Record<string, unknown>) => `${k}${p ? JSON.stringify(p) : ''}`;
    assert.deepEqual(linkStatusView({ state: 'attaching', step: 'sim', queued: 0 }, _), {
      fill: 'yellow',
      shape: 'ring',
      text: 'node-red-contrib-iotda-at/iotda-at:iotda-at.status.connectingStep.sim',
    });
    assert.equal(linkStatusView({ state: 'online', signal: 70, queued: 0 }, _).fill, 'green');
    assert.deepEqual(linkStatusView({ state: 'backoff', queued: 3 }, _, 3), {
      fill: 'yellow',
      shape: 'dot',
      text: 'MQTT $t(node-red-contrib-iotda-at/iotda-at:iotda-at.status.queued, {"count":3})',
    });
    assert.equal(linkStatusView({ state: 'backoff', reason: 'x', queued: 0 }, _).fill, 'red');
  });
});

// Issue 13 item 4: a publish that timed out on a real serial port says what to check there, as a
// timed-out bring-up does (serialTimeoutAdvice); emulator and TCP ports get no such advice.
describe('translatePublishError: what to check after a publish timed out on a real serial port', () => {
  const advice = serialTimeoutAdvice('/dev/ttyUSB2', 'en-US')!;
  const timeout = () => new AtTimeoutError('AT+QMTPUBEX=0,1,1,0,"t",12', 20000, 'prompt');
  const en = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'nodes', 'locales', 'en-US', 'iotda-at.json'), 'utf8'));
  const text = (t: { key: string; params: Record<string, unknown> }) => t.key + ': ' + String(t.params.reason);

  it('appends the advice to a report that failed on each attempt with an AT timeout last', () => {
    const err = new LinkError('attempts-exhausted', `the report failed on each of its 5 publish attempts; last: ${timeout().message}`, { cause: timeout(), attempts: 5 });
    const t = translatePublishError(err, 'ec20', advice);
    assert.equal(t.key, 'iotda-at.errors.attemptsExhausted');
    assert.ok(String(t.params.reason).endsWith(` ${advice}`), text(t));
    assert.match(String(t.params.reason), /^the report failed on each of its 5 publish attempts; last: AT command .* timed out/);
    assert.ok(en['iotda-at'].errors.attemptsExhausted.includes('__reason__'), 'the catalog text shows the reason');
  });

  it('appends it to a bare AT timeout and to one a driver wrapped', () => {
    assert.ok(String(translatePublishError(timeout(), 'ec20', advice).params.reason).endsWith(advice));
    const wrapped = new ModemError('AT+QMTPUBEX', '', 'no answer', { cause: timeout() });
    assert.ok(String(translatePublishError(wrapped, 'ec20', advice).params.reason).endsWith(advice));
  });

  it('leaves other failures alone, and a port without advice (sim:, tcp://)', () => {
    const refused = new ModemError('AT+QMTPUBEX', '+CME ERROR: 3', 'operation not allowed');
    assert.ok(!String(translatePublishError(refused, 'ec20', advice).params.reason).includes(advice));
    assert.equal(serialTimeoutAdvice('sim:ec20'), undefined);
    assert.equal(serialTimeoutAdvice('tcp://127.0.0.1:7000'), undefined);
    const t = translatePublishError(timeout(), 'ec20', serialTimeoutAdvice('sim:ec20'));
    assert.equal(t.params.reason, timeout().message);
  });
});
