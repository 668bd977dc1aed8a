/**
 * UrcTable routing: the first-char index (with its second- and last-char filters) must pick exactly the
 * handlers whose prefix the line starts with, in the table's order (prefixes with a `:` first,
 * then the others, each in the order added), and a claim must report its header length.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UrcTable } from '../../dist/at/urc-table';
import type { UrcHandler } from '../../dist/at/types';

function tableWith(names: string[], prefixes: string[]): { table: UrcTable; seen: string[]; errors: string[] } {
  const seen: string[] = [];
  const errors: string[] = [];
  const table = new UrcTable((h) => errors.push(h.name));
  prefixes.forEach((prefix, i) => table.add({ name: names[i], prefix, onLine: (line) => seen.push(`${names[i]}:${line}`) }));
  return { table, seen, errors };
}

describe('UrcTable dispatch', () => {
  it('runs only handlers whose prefix the line starts with, sharing first chars or not', () => {
    const { table, seen } = tableWith(['pub', 'cereg', 'qind', 'creg'], ['+QMTPUB:', '+CEREG:', '+QIND:', '+CREG:']);
    assert.equal(table.dispatch('+QIND: "csq",20,99'), true);
    assert.equal(table.dispatch('+CEREG: 1'), true);
    assert.equal(table.dispatch('+CREG: 5'), true);
    assert.equal(table.dispatch('+QMTSTAT: 0,1'), false);
    assert.equal(table.dispatch('+C'), false);
    assert.equal(table.dispatch('+'), false);
    assert.equal(table.dispatch(''), false);
    assert.deepEqual(seen, ['qind:+QIND: "csq",20,99', 'cereg:+CEREG: 1', 'creg:+CREG: 5']);
  });

  it('tells apart prefixes that share their first chars (and differ at the last), on lines shorter or longer than them', () => {
    const names = ['pub', 'sub', 'stat', 'qind', 'qi'];
    const { table, seen } = tableWith(names, ['+QMTPUB:', '+QMTSUB:', '+QMTSTAT:', '+QIND:', '+QI']);
    const lines = ['+QMTPUB: 0,1,0', '+QMTSUB: 0,2,0,1', '+QMTSTAT: 0,1', '+QIND: "csq"', '+QINDX: 1', '+QMTPUB', '+QMTSTAT', '+QI', '+Q', '+QMTPUB:'];
    const expected = lines.flatMap((line) =>
      names.filter((_, i) => line.startsWith(['+QMTPUB:', '+QMTSUB:', '+QMTSTAT:', '+QIND:', '+QI'][i])).map((n) => `${n}:${line}`),
    );
    for (const line of lines) table.dispatch(line);
    assert.deepEqual(seen, expected);
    // The expectation is not empty or trivial: each long prefix got its line, '+QI' the three '+QI...' lines.
    assert.equal(seen.filter((s) => s.startsWith('qi:')).length, 3);
    assert.ok(seen.includes('stat:+QMTSTAT: 0,1') && seen.includes('pub:+QMTPUB:') && !seen.some((s) => s.startsWith('pub:+QMTPUB ') || s === 'stat:+QMTSTAT'));
  });

  it('runs prefixes with a colon before the others, each group in the order added', () => {
    const { table, seen } = tableWith(['loose', 'keyed-b', 'keyed-a', 'one-char'], ['WIFI ', 'WIFI GOT IP:', 'WIFI GOT', 'W']);
    assert.equal(table.dispatch('WIFI GOT IP: 1'), true);
    assert.deepEqual(seen, ['keyed-b:WIFI GOT IP: 1', 'loose:WIFI GOT IP: 1', 'keyed-a:WIFI GOT IP: 1', 'one-char:WIFI GOT IP: 1']);
  });

  it('gives an empty prefix every line, the empty one too, and matches non-ASCII prefixes', () => {
    const { table, seen } = tableWith(['all', 'cn'], ['', '信号:']);
    assert.equal(table.dispatch(''), true);
    assert.equal(table.dispatch('信号: 20'), true);
    assert.equal(table.dispatch('信息'), true);
    assert.deepEqual(seen, ['all:', 'cn:信号: 20', 'all:信号: 20', 'all:信息']);
  });

  it('skips a handler whose line regex does not match, and stops running a removed one', () => {
    const seen: string[] = [];
    const table = new UrcTable(() => {});
    const remove = table.add({ name: 'a', prefix: '+CEREG:', line: /^\+CEREG: (\d)$/, onLine: (_l, m) => seen.push(m![1]) });
    assert.equal(table.dispatch('+CEREG: 0,1'), false);
    assert.equal(table.dispatch('+CEREG: 5'), true);
    remove();
    assert.equal(table.dispatch('+CEREG: 1'), false);
    assert.deepEqual(seen, ['5']);
  });

  it('reports a throwing handler and still counts the line as taken', () => {
    const { table, errors } = tableWith(['ok'], ['+X:']);
    table.add({ name: 'bad', prefix: '+X:', onLine: () => { throw new Error('boom'); } });
    assert.equal(table.dispatch('+X: 1'), true);
    assert.deepEqual(errors, ['bad']);
  });
});

describe('UrcTable claimRaw', () => {
  const handler: UrcHandler = {
    name: 'recv',
    prefix: '+QMTRECV:',
    partial: /^\+QMTRECV: (\d+),(\d+),"([^"]*)",(\d+),"/,
    onPartial: (m) => ({ length: Number(m[4]), onRaw: () => {} }),
  };

  it('returns the claim and leaves the header length for the framer', () => {
    const table = new UrcTable(() => {});
    table.add(handler);
    const head = '+QMTRECV: 0,7,"t/a",5,"hello"';
    const claim = table.claimRaw(head);
    assert.equal(claim?.length, 5);
    assert.equal(table.claimedHeaderLength, head.indexOf('hello'));
  });

  it('claims nothing for another prefix, a non-matching header, or a length out of range', () => {
    const table = new UrcTable(() => {});
    table.add(handler);
    assert.equal(table.claimRaw('+QMTPUB: 0,7,0'), undefined);
    assert.equal(table.claimRaw('+QMTRECV: 0,7,"t/a"'), undefined);
    assert.equal(table.claimRaw('+QMTRECV: 0,7,"t/a",99999999,"x'), undefined);
  });

  it('claims nothing, and does not ask the handler, when the matched header holds a line break', () => {
    const table = new UrcTable(() => {});
    let asked = 0;
    table.add({ ...handler, onPartial: (m) => (asked++, { length: Number(m[4]), onRaw: () => {} }) });
    assert.equal(table.claimRaw('+QMTRECV: 0,7,"a\r\nb",3,"xyz"'), undefined);
    assert.equal(table.claimRaw('+QMTRECV: 0,7,"a\nb",3,"xyz"'), undefined);
    assert.equal(asked, 0);
    // A break in the payload after the header is the payload's business.
    assert.equal(table.claimRaw('+QMTRECV: 0,7,"ab",3,"\r\nz"')?.length, 3);
    assert.equal(asked, 1);
  });
});
