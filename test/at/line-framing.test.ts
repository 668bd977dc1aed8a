/**
 * Framing cases (docs/at-channel.md, framing), each fed whole, one byte at a time and in seeded
 * random chunks through a real stream into the AtChannel; observed through its public events.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CHUNK_MODES } from './modem-side';
import { openChannel } from './channel-fixture';

interface LineCase {
  name: string;
  input: string;
  lines: string[];
}

const LINE_CASES: LineCase[] = [
  { name: 'CR LF', input: '\r\n+CEREG: 1\r\n\r\nRING\r\n', lines: ['+CEREG: 1', 'RING'] },
  { name: 'LF CR (BC26 boot banner)', input: 'F1: 0000 0000\n\rV0: 0000 0000 [0001]\n\r00: 0006 000C\n\r', lines: ['F1: 0000 0000', 'V0: 0000 0000 [0001]', '00: 0006 000C'] },
  { name: 'lone CR', input: 'AT+X\rNOISE\r', lines: ['AT+X', 'NOISE'] },
  { name: 'lone LF', input: 'one\ntwo\n', lines: ['one', 'two'] },
  { name: 'blank lines and mixed break runs', input: '\r\n\r\n\n\rA\n\n\r\r\nB\r\r\r\n\n', lines: ['A', 'B'] },
  { name: 'inner quotes, colons and spaces kept', input: '+QIURC: "pdpdeact",1\r\nWIFI CONNECTED\r\n', lines: ['+QIURC: "pdpdeact",1', 'WIFI CONNECTED'] },
  { name: '> inside or at the start of a line when no prompt is expected', input: 'a > b\r\n> not a prompt\r\n', lines: ['a > b', '> not a prompt'] },
  { name: 'UTF-8 text', input: Buffer.from('+QMTRECV: 0,1,"t","温度"\r\n', 'utf8').toString('latin1'), lines: ['+QMTRECV: 0,1,"t","温度"'] },
  // Invalid UTF-8 bytes decode as U+FFFD, one per byte; a real U+FFFD passes through.
  { name: 'invalid UTF-8 bytes, each shown as U+FFFD', input: 'a\x80b\r\n\xff\r\n', lines: ['a\uFFFDb', '\uFFFD'] },
  { name: 'U+FFFD itself, sent as UTF-8', input: Buffer.from('x\uFFFDy\r\n', 'utf8').toString('latin1'), lines: ['x\uFFFDy'] },
];

describe('AT line framing', () => {
  for (const c of LINE_CASES) {
    for (const mode of CHUNK_MODES) {
      it(`${c.name} [${mode}]`, async () => {
        const f = await openChannel();
        try {
          await f.modem.send(c.input, mode);
          await f.modem.send('\r\nEND\r\n');
          assert.deepEqual(f.unsolicited, [...c.lines, 'END']);
        } finally {
          await f.close();
        }
      });
    }
  }
});

interface RawCase {
  name: string;
  prefix: string;
  partial: RegExp;
  lengthGroup: number;
  input: Buffer;
  payload: Buffer;
  after: string[];
}

const nasty = Buffer.from('{"a":"\r\nOK\r\n>"}\x1a\r\nERROR\x1b\x00', 'latin1');

const RAW_CASES: RawCase[] = [
  {
    name: 'Quectel +QMTRECV with length: payload holds CR LF, OK, >, 0x1A; closing quote dropped',
    prefix: '+QMTRECV:',
    partial: /^\+QMTRECV: (\d+),(\d+),"([^"]*)",(\d+),"/,
    lengthGroup: 4,
    input: Buffer.concat([Buffer.from(`\r\n+QMTRECV: 0,3,"$oc/devices/d/sys/messages/down",${nasty.length},"`), nasty, Buffer.from('"\r\n+QMTSTAT: 0,1\r\n')]),
    payload: nasty,
    after: ['+QMTSTAT: 0,1'],
  },
  {
    name: 'ESP +MQTTSUBRECV raw and unquoted, CR LF right after the payload',
    prefix: '+MQTTSUBRECV:',
    partial: /^\+MQTTSUBRECV:(\d+),"([^"]*)",(\d+),/,
    lengthGroup: 3,
    input: Buffer.concat([Buffer.from(`+MQTTSUBRECV:0,"t/x",${nasty.length},`), nasty, Buffer.from('\r\nWIFI DISCONNECT\r\n')]),
    payload: nasty,
    after: ['WIFI DISCONNECT'],
  },
  {
    name: 'payload starting with CR LF and a UTF-8 topic',
    prefix: '+MQTTSUBRECV:',
    partial: /^\+MQTTSUBRECV:(\d+),"([^"]*)",(\d+),/,
    lengthGroup: 3,
    input: Buffer.concat([Buffer.from('+MQTTSUBRECV:0,"温度",4,\r\nOK\r\n', 'utf8'), Buffer.from('X\r\n')]),
    payload: Buffer.from('\r\nOK'),
    after: ['X'],
  },
  {
    name: 'invalid UTF-8 before the header in the same read, and in the payload: the payload is taken at the right byte',
    prefix: '+QMTRECV:',
    partial: /^\+QMTRECV: (\d+),(\d+),"([^"]*)",(\d+),"/,
    lengthGroup: 4,
    input: Buffer.concat([Buffer.from([0x80, 0x0d, 0x0a]), Buffer.from('+QMTRECV: 0,3,"t",3,"'), Buffer.from([0xff, 0x41, 0x80]), Buffer.from('"\r\nZ\r\n')]),
    payload: Buffer.from([0xff, 0x41, 0x80]),
    after: ['\uFFFD', 'Z'],
  },
  {
    name: 'invalid UTF-8 inside the header (the topic): the payload still starts right after the header',
    prefix: '+QMTRECV:',
    partial: /^\+QMTRECV: (\d+),(\d+),"([^"]*)",(\d+),"/,
    lengthGroup: 4,
    input: Buffer.concat([Buffer.from('+QMTRECV: 0,3,"t'), Buffer.from([0xff, 0xc3]), Buffer.from('/x",5,"\r\nRDY"\r\nZ\r\n')]),
    payload: Buffer.from('\r\nRDY'),
    after: ['Z'],
  },
];

describe('AT raw (length-prefixed) reads', () => {
  for (const c of RAW_CASES) {
    for (const mode of CHUNK_MODES) {
      it(`${c.name} [${mode}]`, async () => {
        const f = await openChannel();
        try {
          const payloads: Buffer[] = [];
          f.channel.addUrc({
            name: 'raw',
            prefix: c.prefix,
            partial: c.partial,
            onPartial: (m) => ({ length: Number(m[c.lengthGroup]), onRaw: (p) => payloads.push(p) }),
          });
          await f.modem.send(c.input, mode);
          assert.equal(payloads.length, 1);
          assert.deepEqual(payloads[0], c.payload);
          assert.deepEqual(f.unsolicited, c.after);
        } finally {
          await f.close();
        }
      });
    }
  }

  it('a header announcing more than 1 MiB is not claimed: the stream goes on as lines', async () => {
    const f = await openChannel();
    try {
      const payloads: Buffer[] = [];
      f.channel.addUrc({
        name: 'qmtrecv',
        prefix: '+QMTRECV:',
        partial: /^\+QMTRECV: (\d+),(\d+),"([^"]*)",(\d+),"/,
        onPartial: (m) => ({ length: Number(m[4]), onRaw: (p) => payloads.push(p) }),
      });
      await f.modem.send('+QMTRECV: 0,1,"t",99999999,"{}"\r\nOK\r\n', 'random:7');
      assert.deepEqual(payloads, []);
      assert.deepEqual(f.unsolicited, ['+QMTRECV: 0,1,"t",99999999,"{}"', 'OK']);
    } finally {
      await f.close();
    }
  });

  it('a header whose partial form does not match is an ordinary line for the line handler', async () => {
    const f = await openChannel();
    try {
      const lines: string[] = [];
      f.channel.addUrc({
        name: 'qmtrecv',
        prefix: '+QMTRECV:',
        partial: /^\+QMTRECV: (\d+),(\d+),"([^"]*)",(\d+),"/,
        onPartial: () => assert.fail('no length field: must not claim'),
        line: /^\+QMTRECV: (\d+),(\d+),"([^"]*)",(.*)$/,
        onLine: (l) => lines.push(l),
      });
      await f.modem.send('+QMTRECV: 0,1,"value","123"\r\n', 'bytes');
      assert.deepEqual(lines, ['+QMTRECV: 0,1,"value","123"']);
      assert.deepEqual(f.unsolicited, []);
    } finally {
      await f.close();
    }
  });
});

describe('AT framing limits', () => {
  for (const mode of CHUNK_MODES) {
    it(`a 6 000-byte line of UTF-8 text arrives as one line, its characters whole wherever a read ends [${mode}]`, async () => {
      const f = await openChannel();
      try {
        const text = `${'温度 ok '.repeat(600)}end`;
        await f.modem.send(Buffer.from(`${text}\r\nEND\r\n`, 'utf8'), mode);
        assert.equal(f.unsolicited.length, 2);
        assert.ok(f.unsolicited[0] === text, `got ${f.unsolicited[0].length} chars, not the ${text.length} sent`);
        assert.equal(f.unsolicited[1], 'END');
      } finally {
        await f.close();
      }
    });
  }
  for (const mode of ['whole', 'random:7'] as const) {
    it(`a 70 000-byte line: complete in one read it is one line; open past 64 KiB it is flushed in pieces; no byte lost [${mode}]`, async () => {
      const f = await openChannel();
      try {
        const garbage = 'x'.repeat(70_000);
        await f.modem.send(`${garbage}\r\n+CEREG: 1\r\n`, mode);
        await f.modem.send('\r\nEND\r\n');
        const end = f.unsolicited.indexOf('END');
        assert.ok(end >= 2, `got ${f.unsolicited.length} lines`);
        assert.deepEqual(f.unsolicited.slice(end - 1), ['+CEREG: 1', 'END']);
        const pieces = f.unsolicited.slice(0, end - 1);
        assert.equal(pieces.join(''), garbage);
        if (mode !== 'whole') {
          // Still open after 64 KiB: flushed once past the limit (plus at most one read), not kept growing.
          for (const p of pieces) assert.ok(p.length <= 64 * 1024 + 16, `a ${p.length}-char line`);
          assert.ok(pieces.length >= 2);
        }
      } finally {
        await f.close();
      }
    });
  }
});
