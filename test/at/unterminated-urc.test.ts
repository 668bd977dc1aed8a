/**
 * Unterminated URCs (docs/at-channel.md): ESP-AT prints `+MQTTDISCONNECTED:<id>` with no line end
 * when the link drops while AT+MQTTPUBRAW data is entered, straight before `+MQTTPUB:FAIL`. The
 * channel must give the URC to its handler AND fail the publish with that final: no timeout,
 * no resync.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { espDialect } from '../../dist/at/dialects';
import { AtCommandError } from '../../dist/at/errors';
import { CHUNK_MODES } from './modem-side';
import { openChannel, settle, type ChannelFixture } from './channel-fixture';

function addDisconnected(f: ChannelFixture): string[] {
  const seen: string[] = [];
  f.channel.addUrc({
    name: 'mqtt-disconnected',
    prefix: '+MQTTDISCONNECTED:',
    line: /^\+MQTTDISCONNECTED:(\d+)/,
    unterminated: true,
    onLine: (l) => seen.push(l),
  });
  return seen;
}

function publishRaw(f: ChannelFixture, data: string) {
  return settle(
    f.channel.command({
      template: 'AT+MQTTPUBRAW=0,"up",{{n}},1,0',
      view: { n: data.length },
      timeoutMs: 10000,
      okFinals: ['+MQTTPUB:OK'],
      errorFinals: ['+MQTTPUB:FAIL'],
      prompt: { data: Buffer.from(data), okBeforePrompt: true },
    }),
  );
}

describe('AtChannel unterminated URCs', () => {
  for (const mode of CHUNK_MODES) {
    it(`+MQTTDISCONNECTED:0 glued to +MQTTPUB:FAIL gives the URC and fails the publish at once [${mode}]`, async () => {
      const f = await openChannel({ dialect: espDialect });
      try {
        const seen = addDisconnected(f);
        const started = Date.now();
        const p = publishRaw(f, 'hello');
        assert.equal(await f.modem.nextCommand(), 'AT+MQTTPUBRAW=0,"up",5,1,0');
        await f.modem.send('\r\nOK\r\n\r\n>', mode);
        assert.equal((await f.modem.readBytes(5)).toString(), 'hello');
        await f.modem.send('+MQTTDISCONNECTED:0+MQTTPUB:FAIL\r\n', mode);
        const { error } = await p;
        assert.ok(error instanceof AtCommandError, `expected the FAIL final, got ${String(error)}`);
        assert.equal(error.final, '+MQTTPUB:FAIL');
        assert.ok(Date.now() - started < 5000, 'failed by the final, not by the timeout');
        assert.deepEqual(seen, ['+MQTTDISCONNECTED:0']);
        assert.deepEqual(f.unsolicited, []);
        // No resync: the next thing written is the next command, not `AT`.
        const next = settle(f.channel.command({ template: 'AT+MQTTCONN?' }));
        assert.equal(await f.modem.nextCommand(), 'AT+MQTTCONN?');
        await f.modem.send('\r\nOK\r\n', mode);
        assert.equal((await next).value?.final, 'OK');
      } finally {
        await f.close();
      }
    });
  }

  it('a glued URC with no command in flight: both parts are lines of their own', async () => {
    const f = await openChannel({ dialect: espDialect });
    try {
      const seen = addDisconnected(f);
      const connected: string[] = [];
      f.channel.addUrc({ name: 'mqtt-connected', prefix: '+MQTTCONNECTED:', onLine: (l) => connected.push(l) });
      await f.modem.send('+MQTTDISCONNECTED:0+MQTTDISCONNECTED:1+MQTTCONNECTED:0,1,"h","1883","",1\r\nWIFI GOT IP\r\n', 'bytes');
      assert.deepEqual(seen, ['+MQTTDISCONNECTED:0', '+MQTTDISCONNECTED:1']);
      assert.deepEqual(connected, ['+MQTTCONNECTED:0,1,"h","1883","",1']);
      assert.deepEqual(f.unsolicited, ['WIFI GOT IP']);
    } finally {
      await f.close();
    }
  });

  it('the URC on a line of its own, followed by ERROR (capture esp_at_2.txt), stays as it was', async () => {
    const f = await openChannel({ dialect: espDialect });
    try {
      const seen = addDisconnected(f);
      const p = settle(f.channel.command({ template: 'AT+MQTTSUB=0,"t",1' }));
      await f.modem.nextCommand();
      await f.modem.send('+MQTTDISCONNECTED:0\r\n\r\nERROR\r\n', 'random:5');
      const { error } = await p;
      assert.ok(error instanceof AtCommandError);
      assert.equal(error.final, 'ERROR');
      assert.deepEqual(seen, ['+MQTTDISCONNECTED:0']);
    } finally {
      await f.close();
    }
  });

  it('a handler without `unterminated` does not split lines', async () => {
    const f = await openChannel({ dialect: espDialect });
    try {
      const seen: string[] = [];
      f.channel.addUrc({ name: 'plain', prefix: '+MQTTDISCONNECTED:', line: /^\+MQTTDISCONNECTED:(\d+)/, onLine: (l) => seen.push(l) });
      await f.modem.send('+MQTTDISCONNECTED:0+MQTTPUB:FAIL\r\n');
      assert.deepEqual(seen, ['+MQTTDISCONNECTED:0+MQTTPUB:FAIL']);
    } finally {
      await f.close();
    }
  });
});
