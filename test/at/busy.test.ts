/**
 * Busy semantics (docs/at-channel.md, busy; capture esp_at_5.txt): during AT+CWJAP an ESP-AT
 * module prints WIFI DISCONNECT, `busy p...`, WIFI CONNECTED, `busy p...`, WIFI GOT IP and only
 * then OK. A busy after other output for the command is progress: the command is never re-sent
 * and its real OK completes it. Only a busy as the first answer is a refusal (retried with
 * backoff); a final or other output for it during that backoff means the module took it after
 * all: no re-send.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { espDialect } from '../../dist/at/dialects';
import { ModemBusyError } from '../../dist/at/errors';
import { useMockClock } from '../mock-clock';
import { CHUNK_MODES } from './modem-side';
import { openChannel, settle } from './channel-fixture';

const JOIN = 'AT+CWJAP="GAIA_GATEWAY","pw"';
// The tests of a backoff or a deadline run on mocked time: `advance` and `until` move the clock.

describe('AtChannel busy', () => {
  for (const mode of CHUNK_MODES) {
    it(`busy p... while AT+CWJAP works is progress: one send, the real OK completes it [${mode}]`, async (t) => {
      const { advance, until } = useMockClock(t);
      const f = await openChannel({ dialect: espDialect, busyBackoffMs: 20, resyncQuietMs: 10 });
      try {
        const p = settle(f.channel.command({ template: JOIN, busyRetries: 5, timeoutMs: 10000 }));
        assert.equal(await f.modem.nextCommand(), JOIN);
        // The module's side of capture esp_at_5.txt, stray `?` lines included.
        await f.modem.send('WIFI DISCONNECT\r\n?\r\nbusy p...\r\n', mode);
        // Longer than the busy backoff: an attempt to re-send would have been written by now.
        await advance(60);
        await f.modem.send('WIFI CONNECTED\r\n?\r\nbusy p...\r\nWIFI GOT IP\r\n\r\nOK\r\n', mode);
        const { value, error } = await until(p, 'the join');
        assert.equal(error, undefined);
        assert.equal(value?.final, 'OK');
        assert.equal(f.modem.unread().length, 0, `nothing written after the join: ${JSON.stringify(f.modem.unread().toString())}`);
        assert.deepEqual(f.unsolicited, ['WIFI DISCONNECT', '?', 'WIFI CONNECTED', '?', 'WIFI GOT IP']);
      } finally {
        await f.close();
      }
    });
  }

  it('progress busy with no retries configured does not fail the command', async () => {
    const f = await openChannel({ dialect: espDialect, resyncQuietMs: 10 });
    try {
      const p = settle(f.channel.command({ template: JOIN, timeoutMs: 10000 }));
      await f.modem.nextCommand();
      await f.modem.send('WIFI DISCONNECT\r\nbusy p...\r\nWIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n', 'random:9');
      const { value, error } = await p;
      assert.equal(error, undefined);
      assert.equal(value?.final, 'OK');
    } finally {
      await f.close();
    }
  });

  it('a progress busy keeps the command\'s own deadline (no new one per busy)', async (t) => {
    const { advance, until } = useMockClock(t);
    const f = await openChannel({ dialect: espDialect, resyncQuietMs: 10 });
    try {
      // A deadline restarted by the second busy would end a whole timeoutMs after it; the
      // command's own deadline ends about half of that after it. Measured from the second busy,
      // so a slow machine delaying the test's own steps cannot fail it.
      const timeoutMs = 400;
      const p = settle(f.channel.command({ template: JOIN, timeoutMs, busyRetries: 3 }));
      await f.modem.nextCommand();
      await f.modem.send('WIFI DISCONNECT\r\nbusy p...\r\n');
      await advance(200);
      await f.modem.send('busy p...\r\n');
      const secondBusy = Date.now();
      const { error } = await until(p, 'the join');
      assert.equal((error as Error)?.name, 'AtTimeoutError');
      assert.ok(Date.now() - secondBusy < timeoutMs, 'timed out on the first deadline');
      assert.equal(f.modem.unread().toString().includes('CWJAP'), false, 'never re-sent');
    } finally {
      await f.close();
    }
  });

  it('busy as the first answer is a refusal: re-sent after the backoff', async (t) => {
    const { until } = useMockClock(t);
    const f = await openChannel({ dialect: espDialect, busyBackoffMs: 10 });
    try {
      const p = settle(f.channel.command({ template: JOIN, busyRetries: 1 }));
      assert.equal(await f.modem.nextCommand(), JOIN);
      await f.modem.send('busy p...\r\n');
      assert.equal(await until(f.modem.nextCommand(), 'the re-sent join'), JOIN);
      await f.modem.send('WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n');
      assert.equal((await until(p, 'the join')).value?.final, 'OK');
    } finally {
      await f.close();
    }
  });

  it('a final during the busy backoff completes the command; no re-send', async (t) => {
    const { advance, until } = useMockClock(t);
    const f = await openChannel({ dialect: espDialect, busyBackoffMs: 80 });
    try {
      const p = settle(f.channel.command({ template: JOIN, busyRetries: 2 }));
      await f.modem.nextCommand();
      await f.modem.send('busy p...\r\n');
      await f.modem.send('\r\nOK\r\n');
      assert.equal((await until(p, 'the join')).value?.final, 'OK');
      await advance(120);
      assert.equal(f.modem.unread().length, 0, 'the join was not sent again');
    } finally {
      await f.close();
    }
  });

  it('busy first, then output for the command during the backoff: not re-sent, its OK completes it', async (t) => {
    const { advance, until } = useMockClock(t);
    const f = await openChannel({ dialect: espDialect, busyBackoffMs: 40 });
    try {
      const p = settle(f.channel.command({ template: JOIN, busyRetries: 2, timeoutMs: 5000 }));
      await f.modem.nextCommand();
      await f.modem.send('busy p...\r\nWIFI DISCONNECT\r\n');
      // Past the backoff: a re-send would have been written by now.
      await advance(80);
      assert.equal(f.modem.unread().length, 0, 'the join was not sent again');
      await f.modem.send('WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n');
      assert.equal((await until(p, 'the join')).value?.final, 'OK');
    } finally {
      await f.close();
    }
  });

  it('a command resumed after busy keeps the deadline of its attempt', async (t) => {
    const { until, advance } = useMockClock(t);
    const f = await openChannel({ dialect: espDialect, busyBackoffMs: 40, resyncQuietMs: 5 });
    try {
      const started = Date.now();
      const p = settle(f.channel.command({ template: JOIN, busyRetries: 2, timeoutMs: 120 }));
      await f.modem.nextCommand();
      // Late in the attempt: a deadline restarted by the busy or the resume would end near 220 ms.
      await advance(100);
      await f.modem.send('busy p...\r\nWIFI DISCONNECT\r\n');
      const { error } = await until(p, 'the join');
      assert.equal((error as Error)?.name, 'AtTimeoutError');
      const took = Date.now() - started;
      assert.ok(took >= 120 && took < 160, `timed out ${took} ms after the start: the attempt's deadline is 120 ms`);
    } finally {
      await f.close();
    }
  });

  it('busy as the first and only answer without retries is still ModemBusyError', async () => {
    const f = await openChannel({ dialect: espDialect, resyncQuietMs: 10 });
    try {
      const p = settle(f.channel.command({ template: JOIN }));
      await f.modem.nextCommand();
      await f.modem.send('busy p...\r\n');
      assert.ok((await p).error instanceof ModemBusyError);
    } finally {
      await f.close();
    }
  });
});
