/**
 * AtChannel command behaviour over a real stream: finals, response routing, echo, two-phase
 * commands, prompts, timeouts with resync, reboot, busy, close, and trace redaction. The tests
 * of a deadline, a quiet period or a delay run on mocked time (`advance` and `until` move the clock).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { espDialect } from '../../dist/at/dialects';
import { AtClosedError, AtCommandError, AtTimeoutError, ModemBusyError, ModemRebootedError } from '../../dist/at/errors';
import { useMockClock } from '../mock-clock';
import { CHUNK_MODES } from './modem-side';
import { openChannel, settle } from './channel-fixture';

interface FinalCase {
  name: string;
  reply: string;
  okFinals?: string[];
  errorFinals?: string[];
  expect: { final: string; ok: boolean; cmeCode?: number | string; cmsCode?: number | string };
}

const FINAL_CASES: FinalCase[] = [
  { name: 'OK', reply: '\r\nOK\r\n', expect: { final: 'OK', ok: true } },
  { name: 'ERROR', reply: '\r\nERROR\r\n', expect: { final: 'ERROR', ok: false } },
  { name: 'numeric CME', reply: '\r\n+CME ERROR: 10\r\n', expect: { final: '+CME ERROR: 10', ok: false, cmeCode: 10 } },
  { name: 'text CME', reply: '\r\n+CME ERROR: SIM not inserted\r\n', expect: { final: '+CME ERROR: SIM not inserted', ok: false, cmeCode: 'SIM not inserted' } },
  { name: 'numeric CMS', reply: '\r\n+CMS ERROR: 500\r\n', expect: { final: '+CMS ERROR: 500', ok: false, cmsCode: 500 } },
  { name: 'per-command ok final', reply: '+MQTTPUB:OK\r\n', okFinals: ['+MQTTPUB:OK'], expect: { final: '+MQTTPUB:OK', ok: true } },
  { name: 'per-command error final', reply: 'FAIL\r\n', errorFinals: ['FAIL'], expect: { final: 'FAIL', ok: false } },
  { name: 'trailing spaces trimmed', reply: '\r\nOK  \r\n', expect: { final: 'OK', ok: true } },
  { name: 'OK only as a whole line', reply: '\r\nNOT OK\r\nOK\r\n', expect: { final: 'OK', ok: true } },
];

describe('AtChannel finals', () => {
  for (const c of FINAL_CASES) {
    it(c.name, async () => {
      const f = await openChannel();
      try {
        const p = settle(f.channel.command({ template: 'AT+TEST', okFinals: c.okFinals, errorFinals: c.errorFinals }));
        assert.equal(await f.modem.nextCommand(), 'AT+TEST');
        await f.modem.send(c.reply, 'bytes');
        const { value, error: err } = await p;
        if (c.expect.ok) {
          assert.equal(value?.final, c.expect.final);
        } else {
          assert.ok(err instanceof AtCommandError);
          assert.equal(err.final, c.expect.final);
          assert.equal(err.cmeCode, c.expect.cmeCode);
          assert.equal(err.cmsCode, c.expect.cmsCode);
          assert.match(err.message, /AT\+TEST/);
        }
      } finally {
        await f.close();
      }
    });
  }
});

describe('AtChannel responses and URCs', () => {
  for (const mode of CHUNK_MODES) {
    it(`URC between the echo and the response goes to its handler, echo dropped [${mode}]`, async () => {
      const f = await openChannel();
      try {
        const cereg: string[] = [];
        f.channel.addUrc({ name: 'cereg', prefix: '+CEREG:', line: /^\+CEREG: (\d+)$/, onLine: (l) => cereg.push(l) });
        const p = f.channel.command({ template: 'AT+CSQ', responsePrefixes: ['+CSQ:'] });
        await f.modem.nextCommand();
        // BC26-style echo ending in a bare CR, a URC, then the response.
        await f.modem.send('AT+CSQ\r\r\n+CEREG: 5\r\n\r\n+CSQ: 23,99\r\n+QIND: "PB DONE"\r\n\r\nOK\r\n', mode);
        const r = await p;
        assert.deepEqual(r.lines, ['+CSQ: 23,99']);
        assert.deepEqual(cereg, ['+CEREG: 5']);
        assert.deepEqual(f.unsolicited, ['+QIND: "PB DONE"']);
      } finally {
        await f.close();
      }
    });
  }

  it('a dual-use line (response prefix and URC handler) goes to both', async () => {
    const f = await openChannel();
    try {
      const urc: string[] = [];
      f.channel.addUrc({ name: 'cereg', prefix: '+CEREG:', onLine: (l) => urc.push(l) });
      const p = f.channel.command({ template: 'AT+CEREG?', responsePrefixes: ['+CEREG:'] });
      await f.modem.nextCommand();
      await f.modem.send('\r\n+CEREG: 0,1\r\n\r\nOK\r\n');
      assert.deepEqual((await p).lines, ['+CEREG: 0,1']);
      assert.deepEqual(urc, ['+CEREG: 0,1']);
    } finally {
      await f.close();
    }
  });

  for (const mode of CHUNK_MODES) {
    it(`awaitUrc: a URC between OK and the result URC, queue released meanwhile [${mode}]`, async () => {
      const f = await openChannel();
      try {
        const stat: string[] = [];
        f.channel.addUrc({ name: 'qmtstat', prefix: '+QMTSTAT:', onLine: (l) => stat.push(l) });
        const open = f.channel.command({
          template: 'AT+QMTOPEN={{idx}},"{{host}}",{{port}}',
          view: { idx: 0, host: 'iot.example', port: 1883 },
          awaitUrc: { pattern: /^\+QMTOPEN: 0,(-?\d+)$/, timeoutMs: 3000 },
        });
        assert.equal(await f.modem.nextCommand(), 'AT+QMTOPEN=0,"iot.example",1883');
        await f.modem.send('\r\nOK\r\n', mode);
        // An unrelated command runs while QMTOPEN waits for its URC.
        const csq = f.channel.command({ template: 'AT+CSQ', responsePrefixes: ['+CSQ:'] });
        assert.equal(await f.modem.nextCommand(), 'AT+CSQ');
        await f.modem.send('\r\n+CSQ: 20,99\r\n\r\nOK\r\n\r\n+QMTSTAT: 1,1\r\n\r\n+QMTOPEN: 0,0\r\n', mode);
        assert.deepEqual((await csq).lines, ['+CSQ: 20,99']);
        const r = await open;
        assert.equal(r.final, 'OK');
        assert.equal(r.urc, '+QMTOPEN: 0,0');
        assert.equal(r.urcMatch?.[1], '0');
        assert.deepEqual(stat, ['+QMTSTAT: 1,1']);
        assert.deepEqual(f.unsolicited, [], 'the result URC is consumed by its command');
      } finally {
        await f.close();
      }
    });
  }

  it('awaitUrc times out on its own timer with AtTimeoutError(phase urc)', async (t) => {
    const { until } = useMockClock(t);
    const f = await openChannel();
    try {
      const p = f.channel.command({ template: 'AT+QMTCONN=0', awaitUrc: { pattern: /^\+QMTCONN: 0,/, timeoutMs: 50 } });
      await f.modem.nextCommand();
      await f.modem.send('\r\nOK\r\n');
      await assert.rejects(until(p, 'the URC wait'), (e: unknown) => e instanceof AtTimeoutError && e.phase === 'urc');
    } finally {
      await f.close();
    }
  });
});

describe('AtChannel awaitUrc with a literal prefix and one shared pattern', () => {
  // What drivers send: one compiled pattern per URC kind, the message id in the prefix.
  const SUB = /^\+QMTSUB: (?:-?\d+),(?:-?\d+),([02])/;
  it('each command takes only the URC with its own prefix, whatever the order', async () => {
    const f = await openChannel();
    try {
      const first = f.channel.command({ template: 'AT+QMTSUB=0,7,"a",1', awaitUrc: { pattern: SUB, prefix: '+QMTSUB: 0,7,', timeoutMs: 3000 } });
      await f.modem.nextCommand();
      await f.modem.send('\r\nOK\r\n');
      const second = f.channel.command({ template: 'AT+QMTSUB=0,8,"b",1', awaitUrc: { pattern: SUB, prefix: '+QMTSUB: 0,8,', timeoutMs: 3000 } });
      await f.modem.nextCommand();
      // The second's result first; then a URC for a message id nobody waits for; then the first's.
      await f.modem.send('\r\nOK\r\n\r\n+QMTSUB: 0,8,2\r\n+QMTSUB: 0,70,0\r\n+QMTSUB: 0,7,0\r\n', 'random:3');
      const [r1, r2] = await Promise.all([first, second]);
      assert.deepEqual([r1.urc, r1.urcMatch?.[1]], ['+QMTSUB: 0,7,0', '0']);
      assert.deepEqual([r2.urc, r2.urcMatch?.[1]], ['+QMTSUB: 0,8,2', '2']);
      assert.deepEqual(f.unsolicited, ['+QMTSUB: 0,70,0']);
    } finally {
      await f.close();
    }
  });
});

describe('AtChannel prompt commands', () => {
  const payload = Buffer.from('{"services":[{"v":"\r\nOK"}]}\x1a', 'latin1');
  for (const mode of CHUNK_MODES) {
    it(`Quectel "\\r\\n> " without newline, payload written exactly [${mode}]`, async () => {
      const f = await openChannel();
      try {
        const p = f.channel.command({
          template: 'AT+QMTPUB=0,1,1,0,"{{topic}}",{{len}}',
          view: { topic: 't', len: payload.length },
          prompt: { data: payload },
          awaitUrc: { pattern: /^\+QMTPUB: 0,1,(\d+)/, timeoutMs: 2000 },
        });
        await f.modem.nextCommand();
        await f.modem.send('AT+QMTPUB=0,1,1,0,"t",' + payload.length + '\r\r\n> ', mode);
        assert.deepEqual(await f.modem.readBytes(payload.length), payload);
        await f.modem.send('\r\nOK\r\n\r\n+QMTPUB: 0,1,0\r\n', mode);
        const r = await p;
        assert.equal(r.urcMatch?.[1], '0');
        assert.equal(f.modem.unread().length, 0, 'no terminator after the payload');
      } finally {
        await f.close();
      }
    });

    it(`ESP "OK\\r\\n>" (okBeforePrompt) with a +MQTTSUBRECV between OK and > [${mode}]`, async () => {
      const f = await openChannel({ dialect: espDialect });
      try {
        const got: Buffer[] = [];
        f.channel.addUrc({
          name: 'subrecv',
          prefix: '+MQTTSUBRECV:',
          partial: /^\+MQTTSUBRECV:(\d+),"([^"]*)",(\d+),/,
          onPartial: (m) => ({ length: Number(m[3]), onRaw: (b) => got.push(b) }),
        });
        const p = f.channel.command({
          template: 'AT+MQTTPUBRAW=0,"{{topic}}",{{len}},1,0',
          view: { topic: 'up', len: payload.length },
          okFinals: ['+MQTTPUB:OK'],
          errorFinals: ['+MQTTPUB:FAIL'],
          prompt: { data: payload, okBeforePrompt: true },
        });
        await f.modem.nextCommand();
        await f.modem.send('OK\r\n+MQTTSUBRECV:0,"dn",3,>OK\r\n>', mode);
        assert.deepEqual(await f.modem.readBytes(payload.length), payload);
        await f.modem.send('\r\n+MQTTPUB:OK\r\n', mode);
        assert.equal((await p).final, '+MQTTPUB:OK');
        assert.deepEqual(got, [Buffer.from('>OK')]);
      } finally {
        await f.close();
      }
    });
  }

  it('waits delayAfterPromptMs before writing (BC26 needs >= 4 ms)', async (t) => {
    const { until } = useMockClock(t);
    const f = await openChannel();
    try {
      const p = f.channel.command({ template: 'AT+QMTPUB=0,0,0,0,"t"', prompt: { data: Buffer.from('x\x1a'), delayAfterPromptMs: 30 } });
      await f.modem.nextCommand();
      const sentAt = Date.now();
      await f.modem.send('\r\n> ');
      await until(f.modem.readBytes(2), 'the payload');
      assert.ok(Date.now() - sentAt >= 25, 'payload written after the delay');
      await f.modem.send('\r\nOK\r\n');
      await until(p, 'the publish');
    } finally {
      await f.close();
    }
  });

  it('after the delayAfterPromptMs wait the command still times out at its own deadline; an ERROR during the wait means no data is written', async (t) => {
    const { advance, until } = useMockClock(t);
    const f = await openChannel({ resyncQuietMs: 10 });
    try {
      const slow = settle(f.channel.command({ template: 'AT+QMTPUB=0,0,0,0,"a"', timeoutMs: 120, prompt: { data: Buffer.from('x\x1a'), delayAfterPromptMs: 20 } }));
      await f.modem.nextCommand();
      const sentAt = Date.now();
      await f.modem.send('\r\n> ');
      assert.deepEqual(await until(f.modem.readBytes(2), 'the payload'), Buffer.from('x\x1a'));
      const { error } = await until(slow, 'the publish');
      assert.ok(error instanceof AtTimeoutError && error.phase === 'final', String(error));
      assert.ok(Date.now() - sentAt < 1000, 'the deadline was armed again after the wait');
      assert.deepEqual(await until(f.modem.readBytes(1), 'the ESC'), Buffer.from([0x1b]), 'ESC before the resync');
      assert.equal(await until(f.modem.nextCommand(), 'the resync AT'), 'AT');
      await f.modem.send('\r\nOK\r\n');
      const refused = settle(f.channel.command({ template: 'AT+QMTPUB=0,0,0,0,"b"', prompt: { data: Buffer.from('y\x1a'), delayAfterPromptMs: 40 } }));
      assert.equal(await until(f.modem.nextCommand(), 'the second publish'), 'AT+QMTPUB=0,0,0,0,"b"');
      await f.modem.send('\r\n> \r\nERROR\r\n');
      assert.ok((await until(refused, 'the refused publish')).error instanceof AtCommandError);
      await advance(80);
      assert.equal(f.modem.unread().toString('latin1'), '', 'no data written after the ERROR');
    } finally {
      await f.close();
    }
  });

  it('times out waiting for the prompt with phase prompt', async (t) => {
    const { until } = useMockClock(t);
    const f = await openChannel({ resyncQuietMs: 10 });
    try {
      const p = f.channel.command({ template: 'AT+QMTPUB=0,0,0,0,"t"', timeoutMs: 40, prompt: { data: Buffer.from('x') } });
      await f.modem.nextCommand();
      await assert.rejects(until(p, 'the publish'), (e: unknown) => e instanceof AtTimeoutError && e.phase === 'prompt');
    } finally {
      await f.close();
    }
  });
});

describe('AtChannel failures and recovery', () => {
  it('timeout then resync: the late reply is not taken by the next command', async (t) => {
    const { until } = useMockClock(t);
    const f = await openChannel({ resyncQuietMs: 40 });
    try {
      const first = f.channel.command({ template: 'AT+COPS?', timeoutMs: 60, responsePrefixes: ['+COPS:'] });
      assert.equal(await f.modem.nextCommand(), 'AT+COPS?');
      await assert.rejects(until(first, 'AT+COPS?'), AtTimeoutError);
      const second = f.channel.command({ template: 'AT+CSQ', responsePrefixes: ['+CSQ:'] });
      // The late answer to COPS arrives during the drain.
      await f.modem.send('\r\n+COPS: 0,0,"LATE",7\r\n\r\nOK\r\n');
      assert.equal(await until(f.modem.nextCommand(), 'the resync AT'), 'AT', 'resync probe before the next command');
      await f.modem.send('\r\nOK\r\n');
      assert.equal(await until(f.modem.nextCommand(), 'AT+CSQ'), 'AT+CSQ');
      await f.modem.send('\r\n+CSQ: 18,99\r\n\r\nOK\r\n');
      const r = await until(second, 'AT+CSQ');
      assert.deepEqual(r.lines, ['+CSQ: 18,99']);
      assert.ok(f.unsolicited.includes('+COPS: 0,0,"LATE",7'));
    } finally {
      await f.close();
    }
  });

  it('timeout then resync: a late OK arriving after the probe lands in the second drain, not in the next command', async (t) => {
    const { until } = useMockClock(t);
    const f = await openChannel({ resyncQuietMs: 40 });
    try {
      const first = f.channel.command({ template: 'AT+QIACT=1', timeoutMs: 30 });
      await f.modem.nextCommand();
      await assert.rejects(until(first, 'AT+QIACT=1'), AtTimeoutError);
      const second = settle(f.channel.command({ template: 'AT+QIDEACT=1' }));
      assert.equal(await until(f.modem.nextCommand(), 'the resync AT'), 'AT');
      // Two OKs: the late one for QIACT and the one for AT.
      await f.modem.send('\r\nOK\r\n\r\nOK\r\n');
      assert.equal(await until(f.modem.nextCommand(), 'AT+QIDEACT=1'), 'AT+QIDEACT=1');
      await f.modem.send('\r\nERROR\r\n');
      assert.ok((await until(second, 'AT+QIDEACT=1')).error instanceof AtCommandError);
      assert.deepEqual(f.unsolicited, ['OK']);
    } finally {
      await f.close();
    }
  });

  it('a boot banner mid-command fails it fast, fails pending URC waits and emits reboot', async () => {
    const f = await openChannel({ bootBanners: ['RDY', /^Leaving the BROM/] });
    try {
      const waiting = settle(f.channel.command({ template: 'AT+QMTOPEN=0,"h",1', awaitUrc: { pattern: /^\+QMTOPEN: 0,/, timeoutMs: 5000 } }));
      await f.modem.nextCommand();
      await f.modem.send('\r\nOK\r\n');
      const inFlight = settle(f.channel.command({ template: 'AT+COPS?', timeoutMs: 5000 }));
      await f.modem.nextCommand();
      const t0 = Date.now();
      await f.modem.send('\r\nPOWERED\r\n\r\nRDY\r\n');
      assert.ok((await inFlight).error instanceof ModemRebootedError);
      assert.ok((await waiting).error instanceof ModemRebootedError);
      assert.ok(Date.now() - t0 < 1000);
      assert.deepEqual(f.reboots, ['RDY']);
      await f.modem.send('F1: 0000 0000\n\rLeaving the BROM\n\r');
      assert.deepEqual(f.reboots, ['RDY', 'Leaving the BROM'], 'also when idle');
    } finally {
      await f.close();
    }
  });

  it('a banner-looking line claimed by the command response is not a reboot', async () => {
    const f = await openChannel({ bootBanners: ['+CPIN: READY'] });
    try {
      const p = f.channel.command({ template: 'AT+CPIN?', responsePrefixes: ['+CPIN:'] });
      await f.modem.nextCommand();
      await f.modem.send('\r\n+CPIN: READY\r\n\r\nOK\r\n');
      assert.deepEqual((await p).lines, ['+CPIN: READY']);
      assert.deepEqual(f.reboots, []);
    } finally {
      await f.close();
    }
  });

  it('busy p... is retried with backoff, then succeeds', async (t) => {
    const { until } = useMockClock(t);
    const f = await openChannel({ dialect: espDialect, busyBackoffMs: 5 });
    try {
      const p = f.channel.command({ template: 'AT+CWJAP?', busyRetries: 2 });
      assert.equal(await f.modem.nextCommand(), 'AT+CWJAP?');
      await f.modem.send('busy p...\r\n');
      assert.equal(await until(f.modem.nextCommand(), 'the first re-send'), 'AT+CWJAP?');
      await f.modem.send('busy p...\r\n');
      assert.equal(await until(f.modem.nextCommand(), 'the second re-send'), 'AT+CWJAP?');
      await f.modem.send('No AP\r\n\r\nOK\r\n');
      assert.equal((await until(p, 'AT+CWJAP?')).final, 'OK');
    } finally {
      await f.close();
    }
  });

  it('busy without retries fails with a retryable ModemBusyError', async () => {
    const f = await openChannel({ dialect: espDialect, resyncQuietMs: 10 });
    try {
      const p = settle(f.channel.command({ template: 'AT+MQTTCONN?' }));
      await f.modem.nextCommand();
      await f.modem.send('busy s...\r\n');
      const err = (await p).error;
      assert.ok(err instanceof ModemBusyError);
      assert.equal(err.retryable, true);
      assert.match(err.message, /AT\+MQTTCONN\?/);
    } finally {
      await f.close();
    }
  });

  it('transport close fails the command in flight and everything queued with AtClosedError', async () => {
    const f = await openChannel();
    const closed = new Promise<unknown>((resolve) => f.channel.once('close', resolve));
    const a = settle(f.channel.command({ template: 'AT+A' }));
    const b = settle(f.channel.command({ template: 'AT+B' }));
    await f.modem.nextCommand();
    f.modem.end.destroy();
    assert.ok((await a).error instanceof AtClosedError);
    assert.ok((await b).error instanceof AtClosedError);
    assert.ok((await closed) instanceof Error, 'close carries the reason');
    await assert.rejects(f.channel.command({ template: 'AT' }), AtClosedError);
    await f.close();
  });

  it('a failed write (its promise rejects) fails that command with AtClosedError; the next one runs', async () => {
    const f = await openChannel();
    try {
      const t = f.transport;
      const real = t.write.bind(t);
      t.write = async () => {
        t.write = real;
        throw new Error('EIO: the adapter went away');
      };
      const failed = await settle(f.channel.command({ template: 'AT+A' }));
      assert.ok(failed.error instanceof AtClosedError, String(failed.error));
      assert.match((failed.error as Error).message, /AT\+A/);
      const next = f.channel.command({ template: 'AT+B' });
      assert.equal(await f.modem.nextCommand(), 'AT+B');
      await f.modem.send('\r\nOK\r\n');
      assert.equal((await next).final, 'OK');
    } finally {
      await f.close();
    }
  });

  it('a throwing URC handler or listener does not break the channel', async () => {
    const f = await openChannel();
    try {
      f.channel.addUrc({ name: 'bad', prefix: '+BAD:', onLine: () => { throw new Error('boom'); } });
      f.channel.on('unsolicited', () => { throw new Error('listener boom'); });
      const p = f.channel.command({ template: 'AT' });
      await f.modem.nextCommand();
      await f.modem.send('+BAD: 1\r\nSTRAY\r\nOK\r\n');
      assert.equal((await p).final, 'OK');
      assert.ok(f.traces.some((t) => t.includes('boom')));
    } finally {
      await f.close();
    }
  });

  it('commands run strictly one at a time, in FIFO order', async () => {
    const f = await openChannel();
    try {
      const ps = ['AT+A', 'AT+B', 'AT+C'].map((t) => f.channel.command({ template: t }));
      for (const expected of ['AT+A', 'AT+B', 'AT+C']) {
        assert.equal(await f.modem.nextCommand(), expected);
        assert.equal(f.modem.unread().length, 0, 'nothing else written before the final');
        await f.modem.send('\r\nOK\r\n');
      }
      await Promise.all(ps);
    } finally {
      await f.close();
    }
  });
});

describe('AtChannel trace redaction', () => {
  it('secrets become *** in traces and error messages, also in their escaped form', async () => {
    const secret = 'p@ss,w"rd';
    const f = await openChannel({ dialect: espDialect });
    try {
      f.channel.addSecret(secret);
      const p = settle(f.channel.command({ template: 'AT+CWJAP="{{ssid}}","{{pwd}}"', view: { ssid: 'home', pwd: secret } }));
      assert.equal(await f.modem.nextCommand(), 'AT+CWJAP="home","p@ss\\,w\\"rd"');
      await f.modem.send('AT+CWJAP="home","p@ss\\,w\\"rd"\r\n+CWJAP:2\r\n\r\nERROR\r\n');
      const err = (await p).error as Error;
      assert.ok(err instanceof Error);
      assert.ok(!err.message.includes('p@ss'), err.message);
      assert.match(err.message, /AT\+CWJAP="home","\*\*\*"/);
      assert.ok(f.traces.length > 0);
      for (const t of f.traces) assert.ok(!t.includes('p@ss'), t);
      assert.ok(f.traces.includes('>> AT+CWJAP="home","***"'));
    } finally {
      await f.close();
    }
  });
});
