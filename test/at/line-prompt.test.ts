/**
 * A whole-line prompt (AtCommandOptions.prompt.line): Quectel AT+QFUPL answers `\r\nCONNECT\r\n`
 * and then takes exactly the file's bytes, then `+QFUPL: <size>,<checksum>` and `OK` (Quectel
 * EC2x FILE AT Commands Manual; docs/at-channel.md, prompts). The data goes out only after the
 * CONNECT line, a `>` meanwhile is no prompt for it, and an OK before CONNECT is a failure.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { quectelDialect } from '../../dist/at/dialects';
import { AtCommandError } from '../../dist/at/errors';
import { CHUNK_MODES } from './modem-side';
import { openChannel, settle, type ChannelFixture } from './channel-fixture';

const DATA = '-----BEGIN CERTIFICATE-----\r\nOK\r\n>\r\n-----END CERTIFICATE-----\n';

function upload(f: ChannelFixture) {
  return settle(
    f.channel.command({
      template: 'AT+QFUPL="UFS:c0abcdef.pem",{{n}},10',
      view: { n: DATA.length },
      responsePrefixes: ['+QFUPL:'],
      prompt: { data: Buffer.from(DATA), line: 'CONNECT' },
    }),
  );
}

describe('AtChannel whole-line prompt (CONNECT)', () => {
  for (const mode of CHUNK_MODES) {
    it(`CONNECT, then the data, then +QFUPL and OK [${mode}]`, async () => {
      const f = await openChannel({ dialect: quectelDialect });
      try {
        const p = upload(f);
        assert.equal(await f.modem.nextCommand(), `AT+QFUPL="UFS:c0abcdef.pem",${DATA.length},10`);
        await f.modem.send('\r\n>', mode);
        assert.equal(f.modem.unread().length, 0, 'a ">" is not the prompt of a CONNECT command');
        await f.modem.send('\r\nCONNECT\r\n', mode);
        assert.equal((await f.modem.readBytes(DATA.length)).toString(), DATA);
        await f.modem.send('\r\n+QFUPL: 63,1a2b\r\n\r\nOK\r\n', mode);
        const { value, error } = await p;
        assert.equal(error, undefined);
        assert.deepEqual(value?.lines, ['+QFUPL: 63,1a2b']);
      } finally {
        await f.close();
      }
    });
  }

  it('OK without CONNECT is a failure: the data was not sent', async () => {
    const f = await openChannel({ dialect: quectelDialect });
    try {
      const p = upload(f);
      await f.modem.nextCommand();
      await f.modem.send('\r\nOK\r\n');
      const { error } = await p;
      assert.ok(error instanceof AtCommandError, String(error));
      assert.equal(f.modem.unread().length, 0);
    } finally {
      await f.close();
    }
  });

  it('+CME ERROR: 407 instead of CONNECT fails the command with its code', async () => {
    const f = await openChannel({ dialect: quectelDialect });
    try {
      const p = upload(f);
      await f.modem.nextCommand();
      await f.modem.send('\r\n+CME ERROR: 407\r\n');
      const { error } = await p;
      assert.ok(error instanceof AtCommandError, String(error));
      assert.equal(error.cmeCode, 407);
    } finally {
      await f.close();
    }
  });
});
