/** ESP-AT parameter parsing and MQTT frame sizing, table-driven. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkShape, parseEspArgs } from '../../dist/sim/modems/esp8266-args';
import { fitsPublishBuffer, publishHeaderBytes, subRecvFragments } from '../../dist/sim/modems/esp8266-mqtt-frames';

describe('parseEspArgs', () => {
  const cases: { input: string; values?: (string | number | null)[]; problem?: RegExp }[] = [
    { input: '0,"topic",1', values: [0, 'topic', 1] },
    { input: String.raw`"a\,b","c\"d","e\\f","\x"`, values: ['a,b', 'c"d', 'e\\f', 'x'] },
    { input: '"",-3,', values: ['', -3, null] },
    { input: '"765933, 94875095"', problem: /bare ','/ },
    { input: '"{"a":1}"', problem: /unescaped '"'/ },
    { input: '"abc', problem: /unterminated/ },
    { input: 'abc', problem: /neither/ },
    { input: '"a\nb"', problem: /CR, LF or NUL/ },
    { input: '"a\u0000b"', problem: /CR, LF or NUL/ },
  ];
  for (const c of cases) {
    it(JSON.stringify(c.input), () => {
      const parsed = parseEspArgs(Buffer.from(c.input, 'latin1'));
      if (c.problem) {
        assert.ok(parsed.problems.some((p) => c.problem!.test(p)), parsed.problems.join(' | '));
        return;
      }
      assert.deepEqual(parsed.problems, []);
      const values = parsed.params.map((p) => (p.kind === 'string' ? p.value.toString('latin1') : p.kind === 'int' ? p.value : null));
      assert.deepEqual(values, c.values);
    });
  }

  it('checkShape tells a count mismatch from a type mismatch', () => {
    const p = parseEspArgs(Buffer.from('0,"t"')).params;
    assert.deepEqual(checkShape(p, ['int', 'str', 'int']).countMismatch, true);
    assert.equal(checkShape(p, ['int', 'str', 'int?']).ok, true);
    assert.match(checkShape(p, ['str', 'str']).problem ?? '', /parameter 1 must be a quoted string/);
  });
});

describe('MQTT frame sizes', () => {
  const cases: { topic: number; payload: number; qos: number; header: number; fits: boolean }[] = [
    { topic: 3, payload: 100, qos: 0, header: 1 + 1 + 2 + 3, fits: true },
    { topic: 3, payload: 504, qos: 0, header: 1 + 2 + 2 + 3, fits: true },
    { topic: 3, payload: 505, qos: 0, header: 1 + 2 + 2 + 3, fits: false },
    { topic: 40, payload: 465, qos: 1, header: 1 + 2 + 2 + 40 + 2, fits: true },
    { topic: 40, payload: 466, qos: 1, header: 1 + 2 + 2 + 40 + 2, fits: false },
  ];
  for (const c of cases) {
    it(`topic ${c.topic} B, payload ${c.payload} B, qos ${c.qos}`, () => {
      assert.equal(publishHeaderBytes(c.topic, c.payload, c.qos), c.header);
      assert.equal(fitsPublishBuffer(c.topic, c.payload, c.qos), c.fits);
    });
  }

  it('downlink fragments: first = buffer - header, then up to a buffer, bytes preserved (512 by default)', () => {
    const topic = Buffer.from('t');
    const payload = Buffer.alloc(3000, 7);
    const header = publishHeaderBytes(1, 3000, 1);
    const parts = subRecvFragments(topic, payload, 1);
    assert.deepEqual(parts.map((p) => p.length), [512 - header, 512, 512, 512, 512, 3000 - (512 - header) - 4 * 512]);
    assert.deepEqual(Buffer.concat(parts), payload);
    const wide = subRecvFragments(topic, payload, 1, 1024);
    assert.deepEqual(wide.map((p) => p.length), [1024 - header, 1024, 3000 - (1024 - header) - 1024]);
    assert.equal(subRecvFragments(topic, Buffer.alloc(10), 0).length, 1);
    // A packet of exactly the buffer size is one piece; one byte more splits it.
    assert.equal(subRecvFragments(topic, Buffer.alloc(512 - 6), 0).length, 1);
    assert.deepEqual(subRecvFragments(topic, Buffer.alloc(512 - 5), 0).map((p) => p.length), [506, 1]);
  });
});
