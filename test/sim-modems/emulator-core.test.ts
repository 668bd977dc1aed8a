/** Core pieces: the command reader (lines, echo, prompt data) fed in whole, 1-byte and random chunks; Quectel argument parsing; the duplex pair. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CommandReader, type DataRequest, type DataResult } from '../../dist/sim/modems/command-reader';
import { parseQuectelCommand } from '../../dist/sim/modems/quectel-args';
import { createDuplexPair } from '../../dist/sim/modems/duplex-pair';
import { onceWithin } from '../modems/event-deadline';

type Event = ['line', string] | ['data', DataResult];

/** Feeds input in the given chunking; answers each line by resume() or by the scripted data request. */
async function runReader(input: Buffer, chunks: number[], dataFor: Record<string, DataRequest>): Promise<{ events: Event[]; echo: string }> {
  const events: Event[] = [];
  let echo = '';
  let reader!: CommandReader;
  let settled!: () => void;
  const idle = new Promise<void>((r) => (settled = r));
  // Settles once the input is used up. After each event the handler hands the reader back
  // (resume/expectData) and the reader parses on in a setImmediate; a check queued right after
  // that hand-back runs after the reader's turn, so if no event came in between, nothing is left.
  // (A 30 ms quiet-period timer here fired before the reader's next turn when the process was
  // descheduled under load: the test then saw only the first line.)
  const settleIfQuietAfterReader = (): void => {
    const count = events.length;
    setImmediate(() => {
      if (events.length === count) settled();
    });
  };
  reader = new CommandReader('cr', {
    line: (text) => {
      events.push(['line', text]);
      if (dataFor[text]) reader.expectData(dataFor[text]);
      else reader.resume();
      settleIfQuietAfterReader();
    },
    echo: (bytes) => (echo += bytes.toString('latin1')),
    data: (result) => {
      events.push(['data', result]);
      reader.resume();
      settleIfQuietAfterReader();
    },
  });
  let at = 0;
  for (const n of chunks.length ? chunks : [input.length]) {
    reader.feed(input.subarray(at, at + n));
    at += n;
  }
  if (at < input.length) reader.feed(input.subarray(at));
  settleIfQuietAfterReader();
  await idle;
  return { events, echo };
}

describe('CommandReader', () => {
  const input = Buffer.from('AT\r\nATE1\rAT+QMTPUB=0,0,0,0,"t"\rab\x1aAT+QMTPUB=0,0,0,0,"t",3\r\x1a\rzAT+X\rno\x1bAT\r', 'latin1');
  const dataFor: Record<string, DataRequest> = {
    'AT+QMTPUB=0,0,0,0,"t"': { mode: 'ctrl-z', max: 10 },
    'AT+QMTPUB=0,0,0,0,"t",3': { mode: 'length', length: 3 },
    'AT+X': { mode: 'ctrl-z', max: 10 },
  };
  const expected: Event[] = [
    ['line', 'AT'],
    ['line', 'ATE1'],
    ['line', 'AT+QMTPUB=0,0,0,0,"t"'],
    ['data', { kind: 'data', bytes: Buffer.from('ab') }],
    ['line', 'AT+QMTPUB=0,0,0,0,"t",3'],
    ['data', { kind: 'data', bytes: Buffer.from('\x1a\rz', 'latin1') }],
    ['line', 'AT+X'],
    ['data', { kind: 'cancelled' }],
    ['line', 'AT'],
  ];
  const chunkings: [string, number[]][] = [
    ['whole', []],
    ['1-byte', Array.from({ length: input.length }, () => 1)],
    ['random', [3, 7, 1, 11, 2, 5, 13, 4, 9, 6, 8]],
  ];
  for (const [name, chunks] of chunkings) {
    it(`splits lines and prompt data in ${name} chunks; echoes command bytes only`, async () => {
      const { events, echo } = await runReader(input, chunks, dataFor);
      assert.deepEqual(events, expected);
      // Echo is verbatim: the host's stray LF comes back too, prompt data never does.
      assert.equal(echo, 'AT\r\nATE1\rAT+QMTPUB=0,0,0,0,"t"\rAT+QMTPUB=0,0,0,0,"t",3\rAT+X\rAT\r');
    });
  }

  it('reports overflow in Ctrl-Z mode', async () => {
    const { events } = await runReader(Buffer.from('AT+X\r12345\x1a'), [], { 'AT+X': { mode: 'ctrl-z', max: 4 } });
    assert.deepEqual(events[1], ['data', { kind: 'overflow', length: 5 }]);
  });
});

describe('parseQuectelCommand', () => {
  const cases: [string, unknown][] = [
    ['AT', { name: '', form: 'exec', args: [] }],
    ['ATE0', { name: 'E', form: 'set', args: [{ kind: 'int', value: 0, text: '0' }] }],
    ['at+csq', { name: '+CSQ', form: 'exec', args: [] }],
    ['AT+QMTOPEN?', { name: '+QMTOPEN', form: 'read', args: [] }],
    ['AT+QMTCFG=?', { name: '+QMTCFG', form: 'test', args: [] }],
    ['AT+QMTOPEN=0,"a,b",1883', { name: '+QMTOPEN', form: 'set', args: [{ kind: 'int', value: 0, text: '0' }, { kind: 'str', value: 'a,b' }, { kind: 'int', value: 1883, text: '1883' }], malformed: undefined }],
    ['AT+CPSMS=1,,,"01"', { name: '+CPSMS', form: 'set', args: [{ kind: 'int', value: 1, text: '1' }, { kind: 'empty' }, { kind: 'empty' }, { kind: 'str', value: '01' }], malformed: undefined }],
  ];
  for (const [line, want] of cases) {
    it(`parses ${line}`, () => assert.deepEqual(parseQuectelCommand(line), want));
  }
  const malformed = ['AT+QMTPUB=0,0,0,0,"t","{"a":1}"', 'AT+QMTCONN=0,"unterminated', 'AT+X=1"2', 'AT+CSQ!'];
  for (const line of malformed) {
    it(`flags ${line} as malformed`, () => assert.ok(parseQuectelCommand(line)?.malformed));
  }
  it('ignores lines that are not AT commands', () => assert.equal(parseQuectelCommand('hello'), null));
});

describe('createDuplexPair', () => {
  it('carries bytes both ways and ends the peer on destroy', async () => {
    const [a, b] = createDuplexPair();
    const got = onceWithin(b, 'data');
    a.write('ping');
    assert.equal(((await got) as [Buffer])[0].toString(), 'ping');
    const back = onceWithin(a, 'data');
    b.write(Buffer.from([0, 1, 2]));
    assert.deepEqual(((await back) as [Buffer])[0], Buffer.from([0, 1, 2]));
    const ended = onceWithin(b, 'end');
    a.destroy();
    await ended;
  });
});
