/**
 * Continuation: a URC whose quoted payload runs over line breaks (BC26 `+QMTRECV` has no length
 * field, docs/at-channel.md). While it is open, no line reaches finals, banner detection, echo
 * drop, prompts, raw reads or the URC table; the break bytes are kept as received; byte and
 * time caps end it. Every case runs whole, one byte at a time and in seeded random chunks.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ContinuationAbandonReason, UrcHandler } from '../../dist/at/types';
import { AtCommandError } from '../../dist/at/errors';
import { CHUNK_MODES } from './modem-side';
import { openChannel, settle, type ChannelFixture } from './channel-fixture';

/** A complete BC26 `+QMTRECV` without length: the payload is everything between the 4th quote and the last. */
const QMTRECV_LINE = /^\+QMTRECV: (\d+),(\d+),"([^"]*)","([\s\S]*)"$/;

interface Recorded {
  texts: string[];
  payloads: string[];
  abandoned: { text: string; reason: ContinuationAbandonReason }[];
  stat: string[];
}

/** The shape of handler a BC26 driver registers: open until the text ends with the closing quote. */
function addQmtrecv(f: ChannelFixture, caps: Partial<UrcHandler> = {}, onAbandoned?: () => void): Recorded {
  const rec: Recorded = { texts: [], payloads: [], abandoned: [], stat: [] };
  f.channel.addUrc({
    name: 'qmtrecv',
    prefix: '+QMTRECV:',
    line: QMTRECV_LINE,
    continues: (text) => !QMTRECV_LINE.test(text),
    onLine: (text, m) => {
      rec.texts.push(text);
      rec.payloads.push(m![4]);
    },
    onContinuationAbandoned: (text, reason) => {
      rec.abandoned.push({ text, reason });
      onAbandoned?.();
    },
    ...caps,
  });
  f.channel.addUrc({ name: 'qmtstat', prefix: '+QMTSTAT:', line: /^\+QMTSTAT: (\d+),(\d+)$/, onLine: (l) => rec.stat.push(l) });
  return rec;
}

describe('AtChannel continuation (URC payload over line breaks)', () => {
  for (const mode of CHUNK_MODES) {
    it(`a payload with a boot banner line is one URC, not a reboot [${mode}]`, async () => {
      const f = await openChannel({ bootBanners: ['RDY', 'Leaving the BROM'] });
      try {
        const rec = addQmtrecv(f);
        await f.modem.send('\r\n+QMTRECV: 0,1,"t","hello\r\nRDY\r\nworld"\r\n', mode);
        await f.modem.send('\r\nEND\r\n');
        assert.deepEqual(f.reboots, []);
        assert.deepEqual(rec.payloads, ['hello\r\nRDY\r\nworld']);
        assert.deepEqual(rec.texts, ['+QMTRECV: 0,1,"t","hello\r\nRDY\r\nworld"']);
        assert.deepEqual(f.unsolicited, ['END']);
      } finally {
        await f.close();
      }
    });

    it(`a payload with a URC line in it does not reach the URC table [${mode}]`, async () => {
      const f = await openChannel();
      try {
        const rec = addQmtrecv(f);
        await f.modem.send('+QMTRECV: 0,2,"t","x\r\n+QMTSTAT: 0,1\r\ny"\r\n+QMTSTAT: 0,2\r\n', mode);
        assert.deepEqual(rec.payloads, ['x\r\n+QMTSTAT: 0,1\r\ny']);
        assert.deepEqual(rec.stat, ['+QMTSTAT: 0,2']);
        assert.deepEqual(f.unsolicited, []);
      } finally {
        await f.close();
      }
    });

    it(`break bytes are kept as received: LF CR, lone CR, lone LF, blank lines, edges [${mode}]`, async () => {
      const f = await openChannel();
      try {
        const rec = addQmtrecv(f);
        const payload = '\r\na\n\rb\r\n\r\nc\rd\ne  \r\n';
        await f.modem.send(`+QMTRECV: 0,3,"t","${payload}"\r\n`, mode);
        assert.deepEqual(rec.payloads, [payload]);
      } finally {
        await f.close();
      }
    });

    it(`finals, echo and a prompt inside a payload do not touch the command in flight [${mode}]`, async () => {
      const f = await openChannel();
      try {
        const rec = addQmtrecv(f);
        const p = settle(
          f.channel.command({
            template: 'AT+QMTPUB=0,0,0,0,"up",6',
            prompt: { data: Buffer.from('report') },
          }),
        );
        assert.equal(await f.modem.nextCommand(), 'AT+QMTPUB=0,0,0,0,"up",6');
        // Finals, an error, the command's own echo and a prompt, all inside the downlink.
        await f.modem.send('+QMTRECV: 0,4,"t","\r\nOK\r\nERROR\r\nAT+QMTPUB=0,0,0,0,"up",6\r\n> \r\n+CME ERROR: 3\r\n"\r\n', mode);
        assert.equal(f.modem.unread().length, 0, 'no payload was written on a prompt inside the downlink');
        await f.modem.send('> ');
        assert.equal((await f.modem.readBytes(6)).toString(), 'report');
        await f.modem.send('\r\nOK\r\n', mode);
        const { value, error } = await p;
        assert.equal(error, undefined);
        assert.equal(value?.final, 'OK');
        assert.deepEqual(rec.payloads, ['\r\nOK\r\nERROR\r\nAT+QMTPUB=0,0,0,0,"up",6\r\n> \r\n+CME ERROR: 3\r\n']);
      } finally {
        await f.close();
      }
    });

    it(`a raw-read header inside a payload is payload text [${mode}]`, async () => {
      const f = await openChannel();
      try {
        const rec = addQmtrecv(f);
        const raws: string[] = [];
        f.channel.addUrc({
          name: 'raw',
          prefix: '+QMTRECV:',
          partial: /^\+QMTRECV: \d+,\d+,"[^"]*",(\d+),"/,
          onPartial: (m) => ({ length: Number(m[1]), onRaw: (b) => raws.push(b.toString()) }),
        });
        await f.modem.send('+QMTRECV: 0,5,"t","a\r\n+QMTRECV: 0,6,"t",3,"x\r\nOK"\r\n', mode);
        assert.deepEqual(raws, []);
        assert.deepEqual(rec.payloads, ['a\r\n+QMTRECV: 0,6,"t",3,"x\r\nOK']);
      } finally {
        await f.close();
      }
    });

    it(`a URC that closes on its first line is delivered at once [${mode}]`, async () => {
      const f = await openChannel({ bootBanners: ['RDY'] });
      try {
        const rec = addQmtrecv(f);
        await f.modem.send('+QMTRECV: 0,7,"t","one line"\r\nRDY\r\n', mode);
        assert.deepEqual(rec.payloads, ['one line']);
        assert.deepEqual(f.reboots, ['RDY']);
      } finally {
        await f.close();
      }
    });

    it(`the byte cap abandons it and routing resumes with the next line [${mode}]`, async () => {
      const f = await openChannel();
      try {
        const rec = addQmtrecv(f, { maxContinuationBytes: 40 });
        await f.modem.send('+QMTRECV: 0,8,"t","0123456789\r\n0123456789\r\n0123456789\r\n+QMTSTAT: 0,1\r\n', mode);
        assert.deepEqual(rec.abandoned, [{ text: '+QMTRECV: 0,8,"t","0123456789\r\n0123456789', reason: 'bytes' }]);
        assert.deepEqual(rec.payloads, []);
        assert.deepEqual(f.unsolicited, ['0123456789']);
        assert.deepEqual(rec.stat, ['+QMTSTAT: 0,1']);
      } finally {
        await f.close();
      }
    });
  }

  for (const mode of CHUNK_MODES) {
    it(`a result URC inside a payload does not complete a two-phase command [${mode}]`, async () => {
      const f = await openChannel();
      try {
        const rec = addQmtrecv(f);
        const p = settle(f.channel.command({ template: 'AT+QMTPUB=0,7,1,0,"up","x"', awaitUrc: { pattern: /^\+QMTPUB: 0,7,(\d)/, timeoutMs: 3000 } }));
        await f.modem.nextCommand();
        await f.modem.send('\r\nOK\r\n\r\n+QMTRECV: 0,3,"t","a\r\n+QMTPUB: 0,7,2\r\nb"\r\n\r\n+QMTPUB: 0,7,0\r\n', mode);
        const { value } = await p;
        assert.equal(value?.urc, '+QMTPUB: 0,7,0');
        assert.deepEqual(rec.payloads, ['a\r\n+QMTPUB: 0,7,2\r\nb']);
      } finally {
        await f.close();
      }
    });
  }

  it('the time cap abandons it; the next OK completes the command in flight', async () => {
    const f = await openChannel();
    try {
      let abandoned!: () => void;
      const abandonedNow = new Promise<void>((resolve) => (abandoned = resolve));
      const rec = addQmtrecv(f, { maxContinuationMs: 30 }, () => abandoned());
      const p = settle(f.channel.command({ template: 'AT+CSQ', responsePrefixes: ['+CSQ:'] }));
      await f.modem.nextCommand();
      await f.modem.send('+QMTRECV: 0,9,"t","never closed\r\n+CSQ: 1,1\r\n', 'bytes');
      await abandonedNow;
      assert.deepEqual(rec.abandoned, [{ text: '+QMTRECV: 0,9,"t","never closed\r\n+CSQ: 1,1', reason: 'time' }]);
      await f.modem.send('+CSQ: 20,99\r\n\r\nOK\r\n', 'bytes');
      const { value } = await p;
      assert.deepEqual(value?.lines, ['+CSQ: 20,99']);
    } finally {
      await f.close();
    }
  });

  it('an ERROR after the payload closes still fails the command', async () => {
    const f = await openChannel();
    try {
      const rec = addQmtrecv(f);
      const p = settle(f.channel.command({ template: 'AT+QMTSUB=0,1,"t",1' }));
      await f.modem.nextCommand();
      await f.modem.send('+QMTRECV: 0,1,"t","a\r\nOK"\r\nERROR\r\n', 'random:3');
      const { error } = await p;
      assert.ok(error instanceof AtCommandError);
      assert.deepEqual(rec.payloads, ['a\r\nOK']);
    } finally {
      await f.close();
    }
  });

  it('closing the channel abandons an open continuation', async () => {
    const f = await openChannel();
    const rec = addQmtrecv(f);
    await f.modem.send('+QMTRECV: 0,1,"t","open\r\n');
    await f.close();
    assert.deepEqual(rec.abandoned, [{ text: '+QMTRECV: 0,1,"t","open', reason: 'closed' }]);
  });
});
