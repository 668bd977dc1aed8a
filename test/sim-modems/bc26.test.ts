/**
 * The BC26 emulator against PROTOCOLS §2.2: BROM boot banner, bare-CR echo, MQTT 3.1 by default,
 * inline publish, +QMTRECV without length, power saving losing downlinks, AT+QRST=1.
 */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { createModemEmulator, type Bc26Emulator, type ModemEmulatorOptions } from '../../dist/sim/modems/index';
import { ScriptedHost, brokerPublish, startBroker, type TestBroker } from './scripted-host';
import { onceWithin } from '../modems/event-deadline';

const BOOT =
  'F1: 0000 0000\n\rV0: 0000 0000 [0001]\n\r00: 0006 000C\n\r01: 0000 0000\n\rU0: 0000 0001 [0000]\n\rT0: 0000 00B4\n\rLeaving the BROM\n\r' +
  // The bootloader's tag has no line end of its own (docs/models/bc26.md, "Boot").
  'BL_V01' +
  '\r\n+CPIN: READY\r\n';

let tb: TestBroker;
const versions: number[] = [];
const published: { topic: string; payload: string }[] = [];

before(async () => {
  tb = await startBroker();
  tb.broker.preConnect = (_client, packet, done) => {
    versions.push(packet.protocolVersion ?? 0);
    done(null, true);
  };
  tb.broker.on('publish', (packet, client) => {
    if (client) published.push({ topic: packet.topic, payload: packet.payload.toString() });
  });
});

after(async () => {
  await tb.close();
});

let emu: Bc26Emulator;
const streams: Duplex[] = [];

function make(opts: Partial<ModemEmulatorOptions> = {}): Bc26Emulator {
  emu = createModemEmulator({
    bootDelayMs: 5,
    baudRate: 0,
    urcLatencyMs: [1, 3],
    resolveBroker: () => ({ host: '127.0.0.1', port: tb.port }),
    ...opts,
    model: 'bc26',
  });
  return emu;
}

afterEach(async () => {
  await emu?.close();
  for (const s of streams.splice(0)) s.destroy();
});

async function bootedHost(): Promise<ScriptedHost> {
  const stream = emu.createHostStream();
  streams.push(stream);
  const host = new ScriptedHost(stream);
  await host.read(BOOT);
  await host.read('\r\n+IP: 10.45.67.89\r\n');
  return host;
}

async function connectedHost(): Promise<ScriptedHost> {
  const host = await bootedHost();
  await host.cmd('ATE0', 'ATE0\r\r\nOK\r\n');
  await host.cmd('AT+QMTOPEN=0,"iot.example.com",1883', '\r\nOK\r\n\r\n+QMTOPEN: 0,0\r\n');
  await host.cmd('AT+QMTCONN=0,"dev1_0_0_2025041401","dev1","pw"', '\r\nOK\r\n\r\n+QMTCONN: 0,0,0\r\n');
  return host;
}

describe('bc26 emulator', () => {
  it('boots with the BROM banner (LF CR line ends), echoes with a bare CR, answers the NB-IoT queries', async () => {
    make({ strict: true });
    const host = await bootedHost();
    await host.cmd('AT', 'AT\r\r\nOK\r\n');
    await host.cmd('ATE0', 'ATE0\r\r\nOK\r\n');
    for (const line of ['AT+QSCLK=0', 'AT+CPSMS=0', 'AT+CEDRXS=0', 'AT+QCGDEFCONT="IP","ctnb"']) await host.cmd(line, '\r\nOK\r\n');
    await host.cmd('AT+QCGDEFCONT?', '\r\n+QCGDEFCONT: "IP","ctnb"\r\n\r\nOK\r\n');
    await host.cmd('AT+CEREG?', '\r\n+CEREG: 0,1\r\n\r\nOK\r\n');
    await host.cmd('AT+CSCON?', '\r\n+CSCON: 0,1\r\n\r\nOK\r\n');
    await host.cmd('AT+CGATT?', '\r\n+CGATT: 1\r\n\r\nOK\r\n');
    await host.cmd('AT+CGPADDR=1', '\r\n+CGPADDR: 1,10.45.67.89\r\n\r\nOK\r\n');
    assert.deepEqual(emu.violations, []);
    // No QIACT on BC26: the PDN comes up at attach.
    await host.cmd('AT+QIACT=1', '\r\nERROR\r\n');
    assert.equal(emu.violations.length, 1);
  });

  // docs/models/bc26.md "Firmware variants": QMTCFG "version" came with the MQTT AN V1.1.
  it('legacy firmware (before MQTT AN V1.1) has no QMTCFG "version" and connects with MQTT 3.1', async () => {
    make({ quectelFirmware: 'legacy' });
    const host = await bootedHost();
    await host.cmd('ATE0', 'ATE0\r\r\nOK\r\n');
    await host.cmd('AT+CGMR', '\r\nBC26NBR01A05\r\n\r\nOK\r\n');
    await host.cmd('AT+QMTCFG="version",0,4', '\r\nERROR\r\n');
    await host.cmd('AT+QMTCFG="version",0,3', '\r\nERROR\r\n');
    await host.cmd('AT+QMTCFG="keepalive",0,120', '\r\nOK\r\n');
    await host.cmd('AT+QMTOPEN=0,"iot.example.com",1883', '\r\nOK\r\n\r\n+QMTOPEN: 0,0\r\n');
    await host.cmd('AT+QMTCONN=0,"dev1_0_0_2025041401","dev1","pw"', '\r\nOK\r\n\r\n+QMTCONN: 0,0,0\r\n');
    assert.equal(versions.at(-1), 3);
  });

  it('connects with MQTT 3.1 by default and 3.1.1 after QMTCFG "version",0,4', async () => {
    make();
    const host = await connectedHost();
    assert.equal(versions.at(-1), 3);
    await host.cmd('AT+QMTDISC=0', '\r\nOK\r\n\r\n+QMTDISC: 0,0\r\n');
    await host.cmd('AT+QMTCFG="version",0,4', '\r\nOK\r\n');
    await host.cmd('AT+QMTOPEN=0,"iot.example.com",1883', '\r\nOK\r\n\r\n+QMTOPEN: 0,0\r\n');
    await host.cmd('AT+QMTCONN=0,"dev1_0_0_2025041401","dev1","pw"', '\r\nOK\r\n\r\n+QMTCONN: 0,0,0\r\n');
    assert.equal(versions.at(-1), 4);
  });

  it('publishes inline (max 700) and in form A (max 1024); form B fixed length; +QMTRECV has no length', async () => {
    make({ strict: true });
    const host = await connectedHost();
    await host.cmd('AT+QMTPUB=0,1,1,0,"value","123"', '\r\nOK\r\n\r\n+QMTPUB: 0,1,0\r\n');
    assert.deepEqual(published.at(-1), { topic: 'value', payload: '123' });
    await host.cmd(`AT+QMTPUB=0,2,1,0,"value","${'x'.repeat(701)}"`, '\r\nERROR\r\n');
    await host.cmd('AT+QMTPUB=0,3,1,0,"json"', '\r\n> ');
    host.write('{"a":"b"}\x1a');
    await host.read('\r\nOK\r\n\r\n+QMTPUB: 0,3,0\r\n');
    assert.deepEqual(published.at(-1), { topic: 'json', payload: '{"a":"b"}' });
    await host.cmd('AT+QMTPUB=0,4,1,0,"json",1025', '\r\nERROR\r\n');
    await host.cmd('AT+QMTPUB=0,5,1,0,"json",2', '\r\n> ');
    host.write('{}');
    await host.read('\r\nOK\r\n\r\n+QMTPUB: 0,5,0\r\n');
    assert.equal(emu.violations.length, 2, emu.violations.join('\n'));

    await host.cmd('AT+QMTSUB=0,6,"down/#",0', '\r\nOK\r\n\r\n+QMTSUB: 0,6,0,0\r\n');
    await brokerPublish(tb.broker, 'down/1', '{"v":"1"}');
    await host.read('\r\n+QMTRECV: 0,0,"down/1","{"v":"1"}"\r\n');
    // Raw between the quotes, CR LF included (docs/models/bc26.md, "Downlinks").
    await brokerPublish(tb.broker, 'down/2', 'hello\r\nRDY\r\nworld');
    await host.read('\r\n+QMTRECV: 0,0,"down/2","hello\r\nRDY\r\nworld"\r\n');
    // recv/mode is not a BC26 sub-command.
    await host.cmd('AT+QMTCFG="recv/mode",0,0,1', '\r\nERROR\r\n');
  });

  const sleepers: [string, string][] = [
    ['QSCLK=1', 'AT+QSCLK=0'],
    ['CPSMS=1,,,"01000011","00000001"', 'AT+CPSMS=0'],
    ['CEDRXS=1,5,"0101"', 'AT+CEDRXS=0'],
  ];
  for (const [on, off] of sleepers) {
    it(`loses downlinks while AT+${on} is in force, receives again after ${off}`, async () => {
      make({ strict: true });
      const host = await connectedHost();
      await host.cmd('AT+QMTSUB=0,1,"down/#",0', '\r\nOK\r\n\r\n+QMTSUB: 0,1,0,0\r\n');
      await host.cmd(`AT+${on}`, '\r\nOK\r\n');
      const lost = onceWithin(emu, 'downlinkLost');
      await brokerPublish(tb.broker, 'down/lost', 'gone');
      const [info] = (await lost) as [{ topic: string }];
      assert.equal(info.topic, 'down/lost');
      await host.cmd(off, '\r\nOK\r\n');
      await brokerPublish(tb.broker, 'down/kept', 'here');
      await host.read('\r\n+QMTRECV: 0,0,"down/kept","here"\r\n');
      assert.deepEqual(emu.violations, []);
    });
  }

  it('AT+QRST=1 reboots: BROM banner again, echo on, MQTT gone; link loss gives +QMTSTAT', async () => {
    make();
    const host = await connectedHost();
    emu.faults.dropLink();
    await host.read('\r\n+QMTSTAT: 0,1\r\n');
    await host.cmd('AT+QRST=1', '\r\nOK\r\n');
    await host.read(BOOT);
    await host.read('\r\n+IP: 10.45.67.89\r\n');
    await host.cmd('AT+QMTCONN?', 'AT+QMTCONN?\r\r\nOK\r\n');
  });
});
