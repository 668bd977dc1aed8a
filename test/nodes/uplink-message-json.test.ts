/**
 * Issue 14 item 4: a payload template whose output is JSON escapes every value as a JSON string
 * body, so no value can add or change a key; circular and BigInt payloads say what they are.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildUplink, translatePublishError } from '../../dist/nodes/uplink-message';

const D = 'prod_dev01';

/** Values that would break out of a JSON string, or out of JSON, if inserted as they are. */
const HOSTILE = [
  'a", "hacked": "1',
  'x", "t": 99, "y": "',
  '\\',
  'end\\',
  '\\"}, "services": [], "z": {"a": "',
  'line\nbreak\ttab\r\u0000nul\u001fus\u0008bs\u000cff',
  '"}}]}',
  '\u2028\u2029 and \ud83d\ude00',
  '{{name}}',
];

function properties(template: string, msg: Record<string, unknown>): Record<string, unknown> {
  const u = buildUplink({ deviceId: D, kind: 'property', serviceId: 'env', template }, msg);
  const body = JSON.parse(u.payload.toString('utf8'));
  assert.equal(body.services.length, 1);
  assert.equal(body.services[0].service_id, 'env');
  return body.services[0].properties;
}

function refusal(spec: Record<string, unknown>, msg: Record<string, unknown>): { key: string; reason: string } {
  try {
    buildUplink({ deviceId: D, ...spec } as never, msg);
  } catch (err) {
    const t = translatePublishError(err, 'ec20');
    return { key: t.key, reason: String(t.params.reason ?? '') };
  }
  assert.fail('expected a refusal');
}

describe('payload template: JSON escaping', () => {
  for (const v of HOSTILE) {
    it(`a string value stays one value: ${JSON.stringify(v)}`, () => {
      const p = properties('{"t": 5, "n": "{{name}}", "u": "{{payload.u}}"}', { name: v, payload: { u: v } });
      assert.deepEqual(Object.keys(p).sort(), ['n', 't', 'u']);
      assert.equal(p.t, 5);
      assert.equal(p.n, v);
      assert.equal(p.u, v);
    });
  }

  it('inside a section too', () => {
    const u = buildUplink(
      { deviceId: D, kind: 'event', serviceId: '$sub', template: '{"event_type": "e", "paras": {"list": [{{#items}}"{{.}}",{{/items}}"end"]}}' },
      { items: HOSTILE },
    );
    const body = JSON.parse(u.payload.toString('utf8'));
    assert.deepEqual(Object.keys(body.services[0].paras), ['list']);
    assert.deepEqual(body.services[0].paras.list, [...HOSTILE, 'end']);
  });

  it('a value outside quotes cannot add a key: the output does not parse and is refused', () => {
    for (const v of ['1, "hacked": 2', '1}, "x": {"y": 2', '1 //']) {
      const r = refusal({ kind: 'property', serviceId: 'env', template: '{"t": {{payload.t}}}' }, { payload: { t: v } });
      assert.equal(r.key, 'iotda-at.errors.invalidPayload');
      assert.match(r.reason, /template output is not JSON/);
    }
  });

  it('numbers and booleans outside quotes still work', () => {
    assert.deepEqual(properties('{"t": {{payload.t}}, "on": {{payload.on}}}', { payload: { t: -2.5, on: true } }), { t: -2.5, on: true });
  });

  it('refuses unescaped tags, which would skip the escaping', () => {
    for (const template of ['{"n": {{{name}}}}', '{"n": {{& name}}}', '{{=<% %>=}}{"n": <%{name}%>}', '{{#list}}{"n": {{{.}}}}{{/list}}']) {
      const r = refusal({ kind: 'property', serviceId: 'env', template }, { name: '1, "x": 2', list: ['1, "x": 2'] });
      assert.equal(r.key, 'iotda-at.errors.invalidPayload');
      assert.match(r.reason, /unescaped/);
    }
  });

  it('refuses a broken template with the parser message', () => {
    const r = refusal({ kind: 'property', serviceId: 'env', template: '{"n": "{{name"}' }, { name: 'x' });
    assert.equal(r.key, 'iotda-at.errors.invalidPayload');
    assert.match(r.reason, /template: Unclosed tag/);
  });

  it('message templates are text and stay as written', () => {
    const u = buildUplink({ deviceId: D, kind: 'message', template: 'v={{v}}' }, { v: 'a"b\\c' });
    assert.equal(u.payload.toString('utf8'), 'v=a"b\\c');
  });
});

describe('payloads that cannot become JSON', () => {
  it('a circular payload is reported as one, not as a link failure', () => {
    const p: Record<string, unknown> = { t: 1 };
    p.self = p;
    const r = refusal({ kind: 'property', serviceId: 'env' }, { payload: p });
    assert.equal(r.key, 'iotda-at.errors.invalidPayload');
    assert.equal(r.reason, 'payload has a circular reference');
  });

  it('a BigInt is reported as one', () => {
    const r = refusal({ kind: 'message' }, { payload: { n: 10n } });
    assert.equal(r.key, 'iotda-at.errors.invalidPayload');
    assert.equal(r.reason, 'BigInt cannot be serialised');
  });

  it('an object met twice without a cycle is fine', () => {
    const shared = { a: 1 };
    const u = buildUplink({ deviceId: D, kind: 'message' }, { payload: { x: shared, y: shared } });
    assert.deepEqual(JSON.parse(u.payload.toString('utf8')), { x: { a: 1 }, y: { a: 1 } });
  });
});
