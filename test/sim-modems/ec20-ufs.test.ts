/**
 * The EC20 emulator's file system (UFS) against the bytes of the Quectel EC2x FILE AT Commands
 * Manual (docs/models/ec20.md, "Verified TLS"), driven by a scripted host, not the product driver.
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { createModemEmulator, type ModemEmulator } from '../../dist/sim/modems';
import { ScriptedHost } from './scripted-host';

describe('EC20 emulator: UFS file commands', () => {
  let open: { emulator: ModemEmulator; stream: Duplex }[] = [];
  afterEach(async () => {
    for (const o of open) {
      o.stream.destroy();
      await o.emulator.close();
    }
    open = [];
  });

  async function host(flash = new Map<string, Buffer>()): Promise<{ host: ScriptedHost; emulator: ModemEmulator; flash: Map<string, Buffer> }> {
    const emulator = createModemEmulator({ model: 'ec20', baudRate: 0, strict: true, bootDelayMs: 0, ufs: flash });
    const stream = emulator.createHostStream();
    open.push({ emulator, stream });
    const h = new ScriptedHost(stream);
    await h.skipPast('PB DONE\r\n');
    await h.cmd('ATE0', 'ATE0\r\r\nOK\r\n');
    return { host: h, emulator, flash };
  }

  it('AT+QFUPL: CONNECT, exactly <size> raw bytes, then +QFUPL: <size>,<16-bit XOR checksum in hex> and OK', async () => {
    const { host: h, flash, emulator } = await host();
    h.write('AT+QFUPL="UFS:ca.pem",3,10\r');
    await h.read('\r\nCONNECT\r\n');
    // Bytes that look like commands are data here.
    h.write('ABC');
    // 0x4142 XOR 0x4300 (the odd last byte is the high byte of a pair) = 0x0242.
    await h.read('\r\n+QFUPL: 3,242\r\n\r\nOK\r\n');
    assert.equal(flash.get('ca.pem')?.toString(), 'ABC');
    await h.cmd('AT+QFLST="*"', '\r\n+QFLST: "ca.pem",3\r\n\r\nOK\r\n');
    await h.cmd('AT+QFLST="UFS:ca.pem"', '\r\n+QFLST: "ca.pem",3\r\n\r\nOK\r\n');
    assert.deepEqual(emulator.violations, []);
  });

  it('after <timeout> s without data the module leaves data mode with what came, and takes commands again', async () => {
    const { host: h, flash } = await host();
    h.write('AT+QFUPL="short.pem",10,1\r');
    await h.read('\r\nCONNECT\r\n');
    h.write('AB');
    await h.read('\r\n+QFUPL: 2,4142\r\n\r\nOK\r\n');
    assert.equal(flash.get('short.pem')?.toString(), 'AB');
    await h.cmd('AT', '\r\nOK\r\n');
  });

  it('an existing file is not overwritten (+CME ERROR: 407); QFDEL removes it, a second QFDEL finds nothing (405)', async () => {
    const { host: h } = await host(new Map([['ca.pem', Buffer.from('old')]]));
    await h.cmd('AT+QFUPL="UFS:ca.pem",3', '\r\n+CME ERROR: 407\r\n');
    await h.cmd('AT+QFDEL="UFS:ca.pem"', '\r\nOK\r\n');
    await h.cmd('AT+QFDEL="UFS:ca.pem"', '\r\n+CME ERROR: 405\r\n');
    await h.cmd('AT+QFLST="UFS:ca.pem"', '\r\n+CME ERROR: 405\r\n');
    await h.cmd('AT+QFLST="*"', '\r\nOK\r\n');
  });

  it('a name over 80 bytes is refused (406); files live in flash and survive a module restart', async () => {
    const { host: h, emulator } = await host();
    await h.cmd(`AT+QFUPL="UFS:${'n'.repeat(81)}",3`, '\r\n+CME ERROR: 406\r\n');
    h.write('AT+QFUPL="keep.pem",2\r');
    await h.read('\r\nCONNECT\r\n');
    h.write('ok');
    await h.skipPast('OK\r\n');
    emulator.faults.reboot();
    await h.skipPast('PB DONE\r\n');
    await h.cmd('ATE0', 'ATE0\r\r\nOK\r\n');
    await h.cmd('AT+QFLST', '\r\n+QFLST: "keep.pem",2\r\n\r\nOK\r\n');
  });
});
