/**
 * Restart signs besides boot banners (docs/at-channel.md, restart signs): the ESP8266 boot ROM
 * log at 74880 baud read at 115200 (capture esp_at_10.txt) with `ready` lost, an echo coming
 * back after ATE0 succeeded, and the BC26 BROM banner with LF CR line ends and a bootloader tag
 * without a line end. Each must count as a restart and never break the framing after it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { espDialect } from '../../dist/at/dialects';
import { ModemRebootedError } from '../../dist/at/errors';
import { CHUNK_MODES } from './modem-side';
import { openChannel, settle, type ChannelFixture } from './channel-fixture';

/** Bytes as a 115200-baud UART reads a 74880-baud ROM log: mostly invalid, some NULs and controls. */
const ROM_GARBAGE = Buffer.from([0x00, 0xff, 0x9c, 0x1c, 0x80, 0x72, 0xfe, 0x02, 0x8c, 0x6e, 0x9e, 0x00, 0xfc, 0x1c, 0x8c, 0xe3, 0x0e, 0x84, 0x8c, 0xfc]);

/** The readable part of the ROM log after AT+RST (capture esp_at_10.txt, indentation as printed). */
const ROM_TEXT =
  '\r\n ets Jan  8 2013,rst cause:2, boot mode:(3,6)\r\n\r\nload 0x40100000, len 1396, room 16 \r\ntail 4\r\nchksum 0x89\r\n';

async function runCommand(f: ChannelFixture, template: string, reply: string): Promise<string | undefined> {
  const p = settle(f.channel.command({ template }));
  await f.modem.nextCommand();
  await f.modem.send(reply);
  return (await p).value?.final;
}

describe('AtChannel restart signs', () => {
  for (const mode of CHUNK_MODES) {
    it(`an ESP8266 ROM log without ready fails the command in flight as a restart, once [${mode}]`, async () => {
      const f = await openChannel({ dialect: espDialect, bootBanners: ['ready'], rebootOnGarbage: true });
      try {
        const p = settle(f.channel.command({ template: 'AT+MQTTCONN?' }));
        await f.modem.nextCommand();
        await f.modem.send(Buffer.concat([Buffer.from('\r\n'), ROM_GARBAGE, Buffer.from(ROM_TEXT, 'latin1'), ROM_GARBAGE, Buffer.from('\r\n')]), mode);
        const { error } = await p;
        assert.ok(error instanceof ModemRebootedError, String(error));
        assert.equal(f.reboots.length, 1, `one restart for one ROM log: ${JSON.stringify(f.reboots)}`);
        // The framing is intact: the next command gets its own answer.
        assert.equal(await runCommand(f, 'AT', '\r\nOK\r\n'), 'OK');
      } finally {
        await f.close();
      }
    });
  }

  it('the readable ROM line alone is a restart sign (its garbage lost)', async () => {
    const f = await openChannel({ dialect: espDialect, rebootOnGarbage: true });
    try {
      await f.modem.send('\r\n ets Jan  8 2013,rst cause:2, boot mode:(3,6)\r\n', 'random:4');
      assert.deepEqual(f.reboots, ['ets Jan  8 2013,rst cause:2, boot mode:(3,6)']);
    } finally {
      await f.close();
    }
  });

  it('garbage is no restart sign without rebootOnGarbage (Quectel modems keep their old behaviour)', async () => {
    const f = await openChannel({ bootBanners: ['RDY'] });
    try {
      await f.modem.send(Buffer.concat([ROM_GARBAGE, Buffer.from(ROM_TEXT, 'latin1')]));
      assert.deepEqual(f.reboots, []);
    } finally {
      await f.close();
    }
  });

  it('a few noise bytes and non-ASCII text are not a restart', async () => {
    const f = await openChannel({ dialect: espDialect, rebootOnGarbage: true });
    try {
      await f.modem.send(Buffer.concat([Buffer.from([0xff, 0x00, 0x9c, 0x0d, 0x0a]), Buffer.from('+MQTTSUBRECV 温度温度温度温度温度温度温度温度\r\n', 'utf8')]));
      assert.deepEqual(f.reboots, []);
      assert.equal(f.unsolicited.length, 2);
    } finally {
      await f.close();
    }
  });

  for (const mode of CHUNK_MODES) {
    it(`an echo after ATE0 succeeded is a restart; before it, echo is just dropped [${mode}]`, async () => {
      const f = await openChannel({ dialect: espDialect, echoOffCommand: 'ATE0' });
      try {
        // Echo on (capture esp_at_6.txt: ATE0 itself is echoed).
        assert.equal(await runCommand(f, 'AT', 'AT\r\n\r\nOK\r\n'), 'OK');
        const ate0 = settle(f.channel.command({ template: 'ATE0' }));
        await f.modem.nextCommand();
        await f.modem.send('ATE0\r\n\r\nOK\r\n', mode);
        assert.equal((await ate0).value?.final, 'OK');
        assert.equal(await runCommand(f, 'AT+CWMODE=1', '\r\nOK\r\n'), 'OK');
        assert.deepEqual(f.reboots, []);
        // The module reset unseen: it answers with echo on again.
        const p = settle(f.channel.command({ template: 'AT+MQTTCONN?' }));
        await f.modem.nextCommand();
        await f.modem.send('AT+MQTTCONN?\r\n+MQTTCONN:0,0,0,"","","",0\r\n\r\nOK\r\n', mode);
        const { error } = await p;
        assert.ok(error instanceof ModemRebootedError, String(error));
        assert.deepEqual(f.reboots, ['AT+MQTTCONN?']);
        // Echo is on again until the next ATE0: an echo now is just an echo.
        assert.equal(await runCommand(f, 'AT', 'AT\r\n\r\nOK\r\n'), 'OK');
        assert.equal(f.reboots.length, 1);
      } finally {
        await f.close();
      }
    });
  }

  const BROM = 'F1: 0000 0000\n\rV0: 0000 0000 [0001]\n\r00: 0006 000C\n\r01: 0000 0000\n\rU0: 0000 0001 [0000]\n\rT0: 0000 00B4\n\rLeaving the BROM\n\r';
  for (const mode of CHUNK_MODES) {
    it(`BC26 BROM banner (LF CR) and a bootloader tag glued to the next URC [${mode}]`, async () => {
      const f = await openChannel({ bootBanners: ['Leaving the BROM'], bootTags: ['BL_V01'] });
      try {
        const cpin: string[] = [];
        f.channel.addUrc({ name: 'cpin', prefix: '+CPIN:', onLine: (l) => cpin.push(l) });
        const p = settle(f.channel.command({ template: 'AT+QMTSUB=0,1,"t",1' }));
        await f.modem.nextCommand();
        await f.modem.send(`${BROM}BL_V01+CPIN: READY\r\n\r\n+CEREG: 1\r\n`, mode);
        assert.ok((await p).error instanceof ModemRebootedError);
        assert.deepEqual(f.reboots, ['Leaving the BROM', 'BL_V01']);
        assert.deepEqual(cpin, ['+CPIN: READY']);
        assert.deepEqual(f.unsolicited, ['F1: 0000 0000', 'V0: 0000 0000 [0001]', '00: 0006 000C', '01: 0000 0000', 'U0: 0000 0001 [0000]', 'T0: 0000 00B4', '+CEREG: 1']);
        assert.equal(await runCommand(f, 'AT', '\r\nOK\r\n'), 'OK');
      } finally {
        await f.close();
      }
    });
  }

  it('BC26 bootloader tag with nothing after it until the application starts', async () => {
    const f = await openChannel({ bootBanners: ['Leaving the BROM'], bootTags: [/^BL_V\d+/] });
    try {
      await f.modem.send(`${BROM}BL_V01`, 'bytes');
      await f.modem.send('\r\n+CPIN: READY\r\n', 'bytes');
      assert.deepEqual(f.reboots, ['Leaving the BROM', 'BL_V01']);
      assert.equal(f.unsolicited.at(-1), '+CPIN: READY');
    } finally {
      await f.close();
    }
  });
  // ATI and AT+CGSN take every line as their answer (responsePrefixes ['']): a module that
  // restarts while one runs must still count as restarted, not answer with its banner.
  for (const mode of CHUNK_MODES) {
    it(`a boot banner while a command takes every line is a restart, not an answer line [${mode}]`, async () => {
      const f = await openChannel({ bootBanners: ['RDY', 'APP RDY'] });
      try {
        const p = settle(f.channel.command({ template: 'ATI', responsePrefixes: [''] }));
        await f.modem.nextCommand();
        await f.modem.send('\r\nQuectel\r\n\r\nRDY\r\n', mode);
        const { error, value } = await p;
        assert.ok(error instanceof ModemRebootedError, `expected a restart, got ${JSON.stringify(value)}`);
        assert.deepEqual(f.reboots, ['RDY']);
        assert.equal(await runCommand(f, 'AT', '\r\nOK\r\n'), 'OK');
      } finally {
        await f.close();
      }
    });
  }

  it('an ESP8266 ROM log while a command takes every line is a restart, not its answer', async () => {
    const f = await openChannel({ dialect: espDialect, bootBanners: ['ready'], rebootOnGarbage: true });
    try {
      const p = settle(f.channel.command({ template: 'AT+GMR', responsePrefixes: [''] }));
      await f.modem.nextCommand();
      await f.modem.send(Buffer.concat([Buffer.from('\r\n'), ROM_GARBAGE, Buffer.from(ROM_TEXT, 'latin1')]), 'random:4');
      const { error, value } = await p;
      assert.ok(error instanceof ModemRebootedError, `expected a restart, got ${JSON.stringify(value)}`);
      assert.equal(f.reboots.length, 1, JSON.stringify(f.reboots));
    } finally {
      await f.close();
    }
  });
});
