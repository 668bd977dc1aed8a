/**
 * UrcTable routing: a line goes to the first handler, in the order added, whose prefix it starts
 * with and whose `line` regex matches it; a claim reports its header length.
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

  it('tells apart prefixes that share their first chars, on lines shorter or longer than them', () => {
    const names = ['pub', 'sub', 'stat', 'qind', 'qi'];
    const prefixes = ['+QMTPUB:', '+QMTSUB:', '+QMTSTAT:', '+QIND:', '+QI'];
    const { table, seen } = tableWith(names, prefixes);
    const lines = ['+QMTPUB: 0,1,0', '+QMTSUB: 0,2,0,1', '+QMTSTAT: 0,1', '+QIND: "csq"', '+QINDX: 1', '+QMTPUB', '+QMTSTAT', '+QI', '+Q', '+QMTPUB:'];
    for (const line of lines) table.dispatch(line);
    // First match wins: '+QIND: "csq"' goes to qind only, '+QINDX: 1' and '+QI' to qi.
    assert.deepEqual(seen, ['pub:+QMTPUB: 0,1,0', 'sub:+QMTSUB: 0,2,0,1', 'stat:+QMTSTAT: 0,1', 'qind:+QIND: "csq"', 'qi:+QINDX: 1', 'qi:+QI', 'pub:+QMTPUB:']);
  });

  it('gives a line to the first matching handler in the order added, only to it', () => {
    const { table, seen } = tableWith(['loose', 'keyed-b', 'keyed-a', 'one-char'], ['WIFI ', 'WIFI GOT IP:', 'WIFI GOT', 'W']);
    assert.equal(table.dispatch('WIFI GOT IP: 1'), true);
    assert.equal(table.dispatch('WAKE'), true);
    assert.deepEqual(seen, ['loose:WIFI GOT IP: 1', 'one-char:WAKE']);
  });

  it('passes a line on to the next handler when the first one\'s line regex does not match', () => {
    const seen: string[] = [];
    const table = new UrcTable(() => {});
    table.add({ name: 'strict', prefix: '+CEREG:', line: /^\+CEREG: (\d)$/, onLine: (l) => seen.push(`strict:${l}`) });
    table.add({ name: 'any', prefix: '+CEREG:', onLine: (l) => seen.push(`any:${l}`) });
    table.dispatch('+CEREG: 5');
    table.dispatch('+CEREG: 0,1');
    assert.deepEqual(seen, ['strict:+CEREG: 5', 'any:+CEREG: 0,1']);
  });

  it('gives an empty prefix every line, the empty one too, and matches non-ASCII prefixes', () => {
    const cnFirst = tableWith(['cn'], ['信号:']);
    assert.equal(cnFirst.table.dispatch('信号: 20'), true);
    assert.deepEqual(cnFirst.seen, ['cn:信号: 20']);
    const { table, seen } = tableWith(['all', 'cn'], ['', '信号:']);
    assert.equal(table.dispatch(''), true);
    assert.equal(table.dispatch('信号: 20'), true);
    assert.equal(table.dispatch('信息'), true);
    assert.deepEqual(seen, ['all:', 'all:信号: 20', 'all:信息']);
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
    const errors: string[] = [];
    const table = new UrcTable((h) => errors.push(h.name));
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

  it('returns the claim and the header length', () => {
    const table = new UrcTable(() => {});
    table.add(handler);
    const head = '+QMTRECV: 0,7,"t/a",5,"hello"';
    const read = table.claimRaw(head);
    assert.equal(read?.claim.length, 5);
    assert.equal(read?.headerLength, head.indexOf('hello'));
  });

  it('claims nothing for another prefix, a non-matching header, or a length out of range', () => {
    const table = new UrcTable(() => {});
    table.add(handler);
    assert.equal(table.claimRaw('+QMTPUB: 0,7,0'), undefined);
    assert.equal(table.claimRaw('+QMTRECV: 0,7,"t/a"'), undefined);
    assert.equal(table.claimRaw('+QMTRECV: 0,7,"t/a",99999999,"x'), undefined);
  });
});
