/**
 * ESP-AT prompt commands (AT+MQTTPUBRAW, AT+MQTTLONG*) answer with exactly the bytes
 * `\r\nOK\r\n\r\n>`: an OK that is not final, a blank line, then `>` with no line end and no
 * space (Espressif ESP-AT command set, MQTT AT commands; docs/at-channel.md, prompts). The channel
 * must write the data only after the `>`, never treat that OK as the final, and take
 * `+MQTTPUB:OK` / `+MQTTPUB:FAIL` after the data as the final, in every chunking.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { espDialect } from '../../dist/at/dialects';
import { AtCommandError } from '../../dist/at/errors';
import { CHUNK_MODES } from './modem-side';
import { openChannel, settle, type ChannelFixture } from './channel-fixture';

const DATA = '{"services":[{"service_id":"s","properties":{"t":1}}]}';

function pubRaw(f: ChannelFixture) {
  return settle(
    f.channel.command({
      template: 'AT+MQTTPUBRAW=0,"up",{{n}},1,0',
      view: { n: DATA.length },
      okFinals: ['+MQTTPUB:OK'],
      errorFinals: ['+MQTTPUB:FAIL'],
      prompt: { data: Buffer.from(DATA), okBeforePrompt: true },
    }),
  );
}

describe('AtChannel ESP-AT prompt bytes', () => {
  for (const mode of CHUNK_MODES) {
    it(`\\r\\nOK\\r\\n\\r\\n> then +MQTTPUB:OK [${mode}]`, async () => {
      const f = await openChannel({ dialect: espDialect });
      try {
        const p = pubRaw(f);
        assert.equal(await f.modem.nextCommand(), `AT+MQTTPUBRAW=0,"up",${DATA.length},1,0`);
        await f.modem.send('\r\nOK\r\n\r\n', mode);
        assert.equal(f.modem.unread().length, 0, 'no data before the prompt');
        await f.modem.send('>', mode);
        assert.equal((await f.modem.readBytes(DATA.length)).toString(), DATA);
        await f.modem.send('\r\n+MQTTPUB:OK\r\n', mode);
        const { value, error } = await p;
        assert.equal(error, undefined);
        assert.equal(value?.final, '+MQTTPUB:OK');
        assert.deepEqual(f.unsolicited, []);
      } finally {
        await f.close();
      }
    });

    it(`the whole answer in one stream, prompt bytes and final alike [${mode}]`, async () => {
      const f = await openChannel({ dialect: espDialect });
      try {
        const p = pubRaw(f);
        await f.modem.nextCommand();
        // Echo on (before ATE0) adds the command line in front.
        await f.modem.send(`AT+MQTTPUBRAW=0,"up",${DATA.length},1,0\r\n\r\nOK\r\n\r\n>`, mode);
        assert.equal((await f.modem.readBytes(DATA.length)).toString(), DATA);
        // An oversized or refused publish: OK and > came, the failure follows the data.
        await f.modem.send('\r\n+MQTTPUB:FAIL\r\n', mode);
        const { error } = await p;
        assert.ok(error instanceof AtCommandError);
        assert.equal(error.final, '+MQTTPUB:FAIL');
      } finally {
        await f.close();
      }
    });
  }
});
