/**
 * The verified-TLS chain against scripted answers the EC20 emulator does not give (docs/models/
 * ec20.md, "Verified TLS"): a file list that prints `UFS:` before names, an empty list answered
 * with +CME ERROR: 405, a damaged upload, a checksum printed in decimal.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ModemError } from '../../dist/modems/errors';
import { caFileName, qfuplChecksum } from '../../dist/modems/quectel-cacert';
import { useScriptedDrivers, type ScriptedModem } from './scripted-modem';

const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const NAME = caFileName(0, CA);
const { setup } = useScriptedDrivers();

/** AT+QFUPL answers CONNECT, takes the bytes, then prints `checksum(data)` as the module would. */
function uploads(modem: ScriptedModem, checksum: (data: Buffer) => string): void {
  modem.rule(/^AT\+QFUPL="UFS:([^"]+)",(\d+),\d+$/, (m, md) =>
    md.expectPrompt({ length: Number(m[2]), onData: (data) => md.send(`\r\n+QFUPL: ${data.length},${checksum(data)}\r\n\r\nOK\r\n`) }, '\r\nCONNECT\r\n'),
  );
  modem.rule(/^AT\+QFDEL=".*"$/, '\r\nOK\r\n');
}

describe('EC20 CA upload (scripted modem)', () => {
  it('the checksum is the 16-bit XOR of byte pairs, an odd last byte as the high byte', () => {
    assert.equal(qfuplChecksum(Buffer.from('ABC')), 0x4142 ^ 0x4300);
    assert.equal(qfuplChecksum(Buffer.alloc(0)), 0);
  });

  it('a list that prints "UFS:" before the name counts: no upload', async () => {
    const { modem, driver } = setup();
    modem.rule(/^AT\+QFLST="\*"$/, `\r\n+QFLST: "UFS:${NAME}",${CA.length}\r\n\r\nOK\r\n`);
    uploads(modem, (d) => qfuplChecksum(d).toString(16));
    await driver.init();
    await driver.open('iot.example.com', 8883, { ca: CA });
    assert.ok(!modem.lines.some((l) => l.startsWith('AT+QFUPL')), modem.lines.join('\n'));
    assert.ok(modem.lines.includes(`AT+QSSLCFG="cacert",0,"UFS:${NAME}"`));
    assert.ok(modem.lines.includes('AT+QSSLCFG="seclevel",0,1'));
  });

  it('+CME ERROR: 405 to the list is an empty file system; a decimal checksum is accepted', async () => {
    const { modem, driver } = setup();
    modem.rule(/^AT\+QFLST="\*"$/, '\r\n+CME ERROR: 405\r\n');
    uploads(modem, (d) => String(qfuplChecksum(d)));
    await driver.init();
    await driver.open('iot.example.com', 8883, { ca: CA });
    assert.equal(modem.prompted.length, 1);
    assert.equal(modem.prompted[0].toString(), CA.toString());
    assert.ok(modem.lines.includes('AT+QSSLCFG="seclevel",0,1'));
  });

  it('a damaged upload is deleted and the open fails before any SSL setting', async () => {
    const { modem, driver } = setup();
    modem.rule(/^AT\+QFLST="\*"$/, '\r\nOK\r\n');
    uploads(modem, () => 'ffff');
    await driver.init();
    await assert.rejects(driver.open('iot.example.com', 8883, { ca: CA, caLabel: 'my CA' }), (err: unknown) => {
      assert.ok(err instanceof ModemError, String(err));
      assert.match(err.message, /uploading my CA to the module failed: the CA file arrived damaged/);
      return true;
    });
    assert.ok(modem.lines.includes(`AT+QFDEL="UFS:${NAME}"`));
    assert.ok(!modem.lines.some((l) => l.startsWith('AT+QSSLCFG="cacert"') || l.startsWith('AT+QSSLCFG="seclevel"') || l.startsWith('AT+QMTOPEN')));
  });
});
