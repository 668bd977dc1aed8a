/**
 * The EC20 emulator against the manual's bytes (PROTOCOLS §2.1): a scripted host writes raw AT
 * lines over createHostStream() or TCP; the MQTT side is a real aedes broker on loopback.
 */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { AuthenticateError } from 'aedes';
import { createModemEmulator, type Ec20Emulator, type ModemEmulatorOptions } from '../../dist/sim/modems/index';
import { ScriptedHost, brokerPublish, startBroker, type TestBroker } from './scripted-host';
import { onceWithin, within } from '../modems/event-deadline';

let tb: TestBroker;
const connects: { clientId: string; username?: string; password?: string; version: number }[] = [];
const published: { topic: string; payload: string }[] = [];
let refuseWith = 0;

before(async () => {
  tb = await startBroker();
  tb.broker.preConnect = (_client, packet, done) => {
    connects.push({
      clientId: packet.clientId,
      username: packet.username,
      password: packet.password?.toString(),
      version: packet.protocolVersion ?? 0,
    });
    done(null, true);
  };
  tb.broker.authenticate = (_client, _user, _pass, done) => {
    if (refuseWith) {
      const err = new Error('refused') as AuthenticateError;
      err.returnCode = refuseWith as AuthenticateError['returnCode'];
      done(err, false);
    } else done(null, true);
  };
  tb.broker.on('publish', (packet, client) => {
    if (client) published.push({ topic: packet.topic, payload: packet.payload.toString() });
  });
});

after(async () => {
  await tb.close();
});

let emu: Ec20Emulator;
const streams: Duplex[] = [];

function make(opts: Partial<ModemEmulatorOptions> = {}): Ec20Emulator {
  emu = createModemEmulator({
    bootDelayMs: 5,
    baudRate: 0,
    urcLatencyMs: [1, 3],
    resolveBroker: () => ({ host: '127.0.0.1', port: tb.port }),
    ...opts,
    model: 'ec20',
  });
  return emu;
}

afterEach(async () => {
  refuseWith = 0;
  await emu?.close();
  for (const s of streams.splice(0)) s.destroy();
});

async function bootedHost(): Promise<ScriptedHost> {
  const stream = emu.createHostStream();
  streams.push(stream);
  const host = new ScriptedHost(stream);
  await host.read('\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n\r\n+QIND: SMS DONE\r\n');
  await host.read('\r\n+QIND: PB DONE\r\n');
  await host.cmd('ATE0', 'ATE0\r\r\nOK\r\n');
  return host;
}

/** Echo off, PDP active, client 0 open and connected. */
async function connectedHost(recvLength = true): Promise<ScriptedHost> {
  const host = await bootedHost();
  await host.cmd('AT+QIACT=1', '\r\nOK\r\n');
  if (recvLength) await host.cmd('AT+QMTCFG="recv/mode",0,0,1', '\r\nOK\r\n');
  await host.cmd('AT+QMTOPEN=0,"iot.example.com",1883', '\r\nOK\r\n\r\n+QMTOPEN: 0,0\r\n');
  await host.cmd('AT+QMTCONN=0,"dev1_0_0_2025041401","dev1","c75150e6"', '\r\nOK\r\n\r\n+QMTCONN: 0,0,0\r\n');
  return host;
}

describe('ec20 emulator: line discipline', () => {
  it('boots with the manual URCs, echoes each command with its CR until ATE0', async () => {
    make({ strict: true });
    const stream = emu.createHostStream();
    streams.push(stream);
    const host = new ScriptedHost(stream);
    await host.read('\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n\r\n+QIND: SMS DONE\r\n');
    await host.read('\r\n+QIND: PB DONE\r\n');
    await host.cmd('AT', 'AT\r\r\nOK\r\n');
    await host.cmd('ATI', 'ATI\r\r\nQuectel\r\n\r\nEC20F\r\n\r\nRevision: EC20CEFAGR06A05M4G\r\n\r\nOK\r\n');
    await host.cmd('ATE0', 'ATE0\r\r\nOK\r\n');
    await host.cmd('AT+CPIN?', '\r\n+CPIN: READY\r\n\r\nOK\r\n');
    await host.cmd('AT+CSQ', '\r\n+CSQ: 24,99\r\n\r\nOK\r\n');
    await host.cmd('AT+CEREG?', '\r\n+CEREG: 0,1\r\n\r\nOK\r\n');
    await host.cmd('AT+COPS?', '\r\n+COPS: 0,0,"CHN-UNICOM",7\r\n\r\nOK\r\n');
    await host.cmd('AT+CGATT?', '\r\n+CGATT: 1\r\n\r\nOK\r\n');
    await host.cmd('AT+QURCCFG="urcport","uart1"', '\r\nOK\r\n');
    await host.cmd('AT+QURCCFG="urcport"', '\r\n+QURCCFG: "urcport","uart1"\r\n\r\nOK\r\n');
    assert.deepEqual(emu.violations, []);
  });

  // docs/models/ec20.md "Registration": a data-only IoT SIM (public EC21 capture, Wio LTE issue 1).
  it('a data-only SIM is denied circuit-switched registration and registered for data', async () => {
    make({ strict: true, sim: 'data-only' });
    const host = await bootedHost();
    await host.cmd('AT+CREG?', '\r\n+CREG: 0,3\r\n\r\nOK\r\n');
    await host.cmd('AT+CGREG?', '\r\n+CGREG: 0,1\r\n\r\nOK\r\n');
    await host.cmd('AT+CEREG?', '\r\n+CEREG: 0,1\r\n\r\nOK\r\n');
    await host.cmd('AT+CGATT?', '\r\n+CGATT: 1\r\n\r\nOK\r\n');
    // Roaming on the packet-switched side only: CREG stays denied.
    emu.faults.registration(5);
    await host.cmd('AT+CREG?', '\r\n+CREG: 0,3\r\n\r\nOK\r\n');
    await host.cmd('AT+CEREG?', '\r\n+CEREG: 0,5\r\n\r\nOK\r\n');
    emu.faults.registration(2, '+CGREG');
    await host.cmd('AT+CGREG?', '\r\n+CGREG: 0,2\r\n\r\nOK\r\n');
    assert.deepEqual(emu.violations, []);
  });

  // docs/models/ec20.md "Firmware variants": older EC2x firmware without QMTCFG "recv/mode".
  it('legacy firmware refuses QMTCFG "recv/mode" and sends +QMTRECV without a length', async () => {
    make({ quectelFirmware: 'legacy' });
    const host = await bootedHost();
    await host.cmd('AT+CGMR', '\r\nEC20CEFAR02A08M4G\r\n\r\nOK\r\n');
    await host.cmd('AT+QMTCFG="recv/mode",0,0,1', '\r\nERROR\r\n');
    await host.cmd('AT+QIACT=1', '\r\nOK\r\n');
    await host.cmd('AT+QMTOPEN=0,"iot.example.com",1883', '\r\nOK\r\n\r\n+QMTOPEN: 0,0\r\n');
    await host.cmd('AT+QMTCONN=0,"dev1_0_0_2025041401","dev1","c75150e6"', '\r\nOK\r\n\r\n+QMTCONN: 0,0,0\r\n');
    await host.cmd('AT+QMTSUB=0,1,"down",1', '\r\nOK\r\n\r\n+QMTSUB: 0,1,0,1\r\n');
    await brokerPublish(tb.broker, 'down', 'a "b"');
    await host.read('\r\n+QMTRECV: 0,0,"down","a "b""\r\n');
  });

  it('answers a CRLF-terminated host too: the LF is line noise, not a command', async () => {
    make();
    const host = await bootedHost();
    host.write('AT\r\nAT+CGSN\r\n');
    await host.read('\r\nOK\r\n\r\n866123045678901\r\n\r\nOK\r\n');
  });

  const malformed: [string, string][] = [
    ['inner quote in a quoted argument (raw JSON)', 'AT+QMTCFG="will",0,1,0,0,"t","{"a":1}"'],
    ['unknown command (tutorial AT+CIPMQTT*)', 'AT+CIPMQTTCONN=0,"h",1883'],
    ['wrong parameter count', 'AT+QMTOPEN=0,"host"'],
    ['string where an integer belongs', 'AT+QMTCFG="keepalive",0,"120"'],
    ['unknown QMTCFG sub-command on EC20', 'AT+QMTCFG="send/mode",0,1'],
  ];
  for (const [why, line] of malformed) {
    it(`strict mode: ${why} answers ERROR and is recorded`, async () => {
      make({ strict: true });
      const host = await bootedHost();
      await host.cmd(line, '\r\nERROR\r\n');
      assert.equal(emu.violations.length, 1, emu.violations.join('\n'));
    });
  }

  it('CME errors follow AT+CMEE (numeric, verbose, off), SIM absent gives 10', async () => {
    make({ simPresent: false });
    const stream = emu.createHostStream();
    streams.push(stream);
    const host = new ScriptedHost(stream);
    await host.skipPast('+CPIN: NOT INSERTED\r\n');
    await host.cmd('AT+CPIN?', 'AT+CPIN?\r\r\n+CME ERROR: 10\r\n');
    await host.cmd('AT+CMEE=2', 'AT+CMEE=2\r\r\nOK\r\n');
    await host.cmd('AT+CPIN?', 'AT+CPIN?\r\r\n+CME ERROR: SIM not inserted\r\n');
    await host.cmd('AT+CMEE=0', 'AT+CMEE=0\r\r\nOK\r\n');
    await host.cmd('AT+CPIN?', 'AT+CPIN?\r\r\nERROR\r\n');
  });

  it('QIACT=1 answers ERROR when the context is already active; QIACT? lists it', async () => {
    make();
    const host = await bootedHost();
    await host.cmd('AT+QIACT?', '\r\nOK\r\n');
    await host.cmd('AT+QICSGP=1,1,"cmnet","","",1', '\r\nOK\r\n');
    await host.cmd('AT+QIACT=1', '\r\nOK\r\n');
    await host.cmd('AT+QIACT=1', '\r\nERROR\r\n');
    await host.cmd('AT+QIACT?', '\r\n+QIACT: 1,1,1,"10.3.118.130"\r\n\r\nOK\r\n');
    await host.cmd('AT+QIDEACT=1', '\r\nOK\r\n');
    await host.cmd('AT+QIACT?', '\r\nOK\r\n');
  });

  it('paces output at the baud rate (10 bits per byte)', async () => {
    const timeNoise = async (baudRate: number): Promise<number> => {
      make({ baudRate });
      const host = await bootedHost();
      const started = performance.now();
      emu.faults.noise(Buffer.alloc(480, 0x55));
      await host.read(Buffer.alloc(480, 0x55));
      const ms = performance.now() - started;
      await emu.close();
      return ms;
    };
    const unpaced = await timeNoise(0);
    const paced = await timeNoise(9600); // 960 bytes/s: 480 bytes take 500 ms
    assert.ok(paced >= 450, `480 bytes at 9600 baud took only ${paced.toFixed(0)} ms`);
    assert.ok(paced > unpaced * 5, `paced ${paced.toFixed(0)} ms vs unpaced ${unpaced.toFixed(0)} ms`);
  });
});

describe('ec20 emulator: MQTT session', () => {
  it('opens, connects with the AT credentials, subscribes, publishes form B and receives with length', async () => {
    make({ strict: true });
    const host = await bootedHost();
    await host.cmd('AT+QIACT=1', '\r\nOK\r\n');
    for (const cfg of ['"version",0,4', '"pdpcid",0,1', '"keepalive",0,120', '"session",0,1', '"timeout",0,5,3,0', '"recv/mode",0,0,1']) {
      await host.cmd(`AT+QMTCFG=${cfg}`, '\r\nOK\r\n');
    }
    await host.cmd('AT+QMTOPEN=0,"iot.example.com",1883', '\r\nOK\r\n\r\n+QMTOPEN: 0,0\r\n');
    await host.cmd('AT+QMTOPEN?', '\r\n+QMTOPEN: 0,"iot.example.com",1883\r\n\r\nOK\r\n');
    const before = connects.length;
    await host.cmd('AT+QMTCONN=0,"dev1_0_0_2025041401","dev1","c75150e6cb84"', '\r\nOK\r\n\r\n+QMTCONN: 0,0,0\r\n');
    assert.deepEqual(connects[before], { clientId: 'dev1_0_0_2025041401', username: 'dev1', password: 'c75150e6cb84', version: 4 });
    await host.cmd('AT+QMTCONN?', '\r\n+QMTCONN: 0,3\r\n\r\nOK\r\n');
    await host.cmd('AT+QMTSUB=0,1,"$oc/devices/dev1/sys/commands/#",1', '\r\nOK\r\n\r\n+QMTSUB: 0,1,0,1\r\n');

    const body = '{"services":[{"service_id":"Temperature","properties":{"value":57}}]}';
    await host.cmd(`AT+QMTPUB=0,2,1,0,"$oc/devices/dev1/sys/properties/report",${body.length}`, '\r\n> ');
    host.write(body);
    await host.read('\r\nOK\r\n\r\n+QMTPUB: 0,2,0\r\n');
    assert.deepEqual(published.at(-1), { topic: '$oc/devices/dev1/sys/properties/report', payload: body });

    const cmd = '{"paras":{"value":"1"},"service_id":"WaterMeter","command_name":"ON_OFF"}';
    await brokerPublish(tb.broker, '$oc/devices/dev1/sys/commands/request_id=42', cmd);
    await host.read(`\r\n+QMTRECV: 0,0,"$oc/devices/dev1/sys/commands/request_id=42",${cmd.length},"${cmd}"\r\n`);

    await host.cmd('AT+QMTUNS=0,3,"$oc/devices/dev1/sys/commands/#"', '\r\nOK\r\n\r\n+QMTUNS: 0,3,0\r\n');
    await host.cmd('AT+QMTDISC=0', '\r\nOK\r\n\r\n+QMTDISC: 0,0\r\n');
    await host.cmd('AT+QMTCONN?', '\r\nOK\r\n');
    assert.deepEqual(emu.violations, []);
  });

  it('without recv/mode length: +QMTRECV quotes the payload without escaping, CR LF inside kept', async () => {
    make();
    const host = await connectedHost(false);
    await host.cmd('AT+QMTSUB=0,1,"down/#",0', '\r\nOK\r\n\r\n+QMTSUB: 0,1,0,0\r\n');
    await brokerPublish(tb.broker, 'down/x', 'say "hi"\r\nbye');
    await host.read('\r\n+QMTRECV: 0,0,"down/x","say "hi"\r\nbye"\r\n');
  });

  it('publish form A (Ctrl-Z), ESC cancels, QMTPUBEX (form C), over 4096 bytes rejected', async () => {
    make({ strict: true });
    const host = await connectedHost();
    await host.cmd('AT+QMTPUB=0,0,0,0,"up/a"', '\r\n> ');
    host.write('hello "A"\x1a');
    await host.read('\r\nOK\r\n\r\n+QMTPUB: 0,0,0\r\n');
    assert.deepEqual(published.at(-1), { topic: 'up/a', payload: 'hello "A"' });

    const count = published.length;
    await host.cmd('AT+QMTPUB=0,0,0,0,"up/cancel"', '\r\n> ');
    host.write('never\x1b');
    await host.read('\r\nOK\r\n');
    await host.cmd('AT', '\r\nOK\r\n');
    assert.equal(published.length, count);

    await host.cmd('AT+QMTPUBEX=0,5,1,0,"up/c",4', '\r\n> ');
    host.write('\x1a\x1bAB');
    await host.read('\r\nOK\r\n\r\n+QMTPUBEX: 0,5,0\r\n');
    assert.deepEqual(published.at(-1), { topic: 'up/c', payload: '\x1a\x1bAB' });

    await host.cmd('AT+QMTPUB=0,6,1,0,"up/big",4097', '\r\nERROR\r\n');
    await host.cmd('AT+QMTPUB=0,7,1,0,"up/inline","x"', '\r\nERROR\r\n');
    assert.equal(emu.violations.length, 2, emu.violations.join('\n'));
  });

  it('inline form D only behind the inlinePublish flag', async () => {
    make({ inlinePublish: true });
    const host = await connectedHost();
    await host.cmd('AT+QMTPUB=0,1,1,0,"up/inline","123"', '\r\nOK\r\n\r\n+QMTPUB: 0,1,0\r\n');
    assert.deepEqual(published.at(-1), { topic: 'up/inline', payload: '123' });
  });

  it('a refused CONNACK gives +QMTCONN: 0,0,4; a second QMTOPEN on an open index gives 2', async () => {
    make();
    const host = await bootedHost();
    await host.cmd('AT+QIACT=1', '\r\nOK\r\n');
    await host.cmd('AT+QMTOPEN=0,"iot.example.com",1883', '\r\nOK\r\n\r\n+QMTOPEN: 0,0\r\n');
    await host.cmd('AT+QMTOPEN=0,"iot.example.com",1883', '\r\nOK\r\n\r\n+QMTOPEN: 0,2\r\n');
    refuseWith = 4;
    await host.cmd('AT+QMTCONN=0,"dev1_0_0_2025041401","dev1","wrong"', '\r\nOK\r\n\r\n+QMTCONN: 0,0,4\r\n');
  });

  it('QMTOPEN without an active PDP context reports 3; a DNS failure reports 4', async () => {
    make({ resolveBroker: (h, p) => ({ host: h, port: p }) });
    const host = await bootedHost();
    await host.cmd('AT+QMTOPEN=0,"iot.example.com",1883', '\r\nOK\r\n\r\n+QMTOPEN: 0,3\r\n');
    await host.cmd('AT+QIACT=1', '\r\nOK\r\n');
    await host.cmd('AT+QMTOPEN=0,"no-such-host.invalid",1883', '\r\nOK\r\n\r\n+QMTOPEN: 0,4\r\n');
  });

  it('client indexes 0-5 each hold their own broker connection', async () => {
    make();
    const host = await bootedHost();
    await host.cmd('AT+QIACT=1', '\r\nOK\r\n');
    for (const idx of [0, 5]) {
      await host.cmd(`AT+QMTOPEN=${idx},"iot.example.com",1883`, `\r\nOK\r\n\r\n+QMTOPEN: ${idx},0\r\n`);
      await host.cmd(`AT+QMTCONN=${idx},"c${idx}"`, `\r\nOK\r\n\r\n+QMTCONN: ${idx},0,0\r\n`);
    }
    await host.cmd('AT+QMTCONN?', '\r\n+QMTCONN: 0,3\r\n\r\n+QMTCONN: 5,3\r\n\r\nOK\r\n');
    emu.faults.dropLink(5);
    await host.read('\r\n+QMTSTAT: 5,1\r\n');
    await host.cmd('AT+QMTCONN?', '\r\n+QMTCONN: 0,3\r\n\r\nOK\r\n');
  });
});

describe('ec20 emulator: faults', () => {
  it('injected QMTOPEN / QMTCONN / QMTSUB results', async () => {
    make();
    const host = await bootedHost();
    await host.cmd('AT+QIACT=1', '\r\nOK\r\n');
    emu.faults.openResult(5);
    await host.cmd('AT+QMTOPEN=0,"h",1883', '\r\nOK\r\n\r\n+QMTOPEN: 0,5\r\n');
    await host.cmd('AT+QMTOPEN=0,"h",1883', '\r\nOK\r\n\r\n+QMTOPEN: 0,0\r\n');
    emu.faults.connResult(0, 4);
    await host.cmd('AT+QMTCONN=0,"c"', '\r\nOK\r\n\r\n+QMTCONN: 0,0,4\r\n');
    await host.cmd('AT+QMTCONN=0,"c"', '\r\nOK\r\n\r\n+QMTCONN: 0,0,0\r\n');
    emu.faults.refuseSubscribe();
    await host.cmd('AT+QMTSUB=0,1,"t",1', '\r\nOK\r\n\r\n+QMTSUB: 0,1,0,128\r\n');
    emu.faults.linkStatus(0, 2);
    await host.read('\r\n+QMTSTAT: 0,2\r\n');
  });

  it('the broker dropping the client gives +QMTSTAT: 0,1', async () => {
    make();
    const host = await connectedHost();
    const client = await new Promise<{ close(): void }>((resolve) => {
      const c = (tb.broker as unknown as { clients: Record<string, { close(): void }> }).clients['dev1_0_0_2025041401'];
      resolve(c);
    });
    client.close();
    await host.read('\r\n+QMTSTAT: 0,1\r\n');
  });

  it('busy answers +CME ERROR: 14, errorOnCommand hits the Nth command, delay postpones answers', async () => {
    make();
    const host = await bootedHost();
    emu.faults.busy(2);
    await host.cmd('AT', '\r\n+CME ERROR: 14\r\n');
    await host.cmd('AT', '\r\n+CME ERROR: 14\r\n');
    await host.cmd('AT', '\r\nOK\r\n');
    emu.faults.errorOnCommand(2);
    await host.cmd('AT', '\r\nOK\r\n');
    await host.cmd('AT', '\r\nERROR\r\n');
    await host.cmd('AT', '\r\nOK\r\n');
    emu.faults.delay(120);
    const started = performance.now();
    await host.cmd('AT', '\r\nOK\r\n');
    assert.ok(performance.now() - started >= 100);
  });

  it('reboot mid-session: boot URCs again, echo back on, QMTCFG and MQTT state lost', async () => {
    make();
    const host = await connectedHost();
    await host.cmd('AT+QMTCFG="keepalive",0,60', '\r\nOK\r\n');
    emu.faults.reboot();
    await host.skipPast('\r\nRDY\r\n');
    await host.skipPast('+QIND: PB DONE\r\n');
    await host.cmd('AT+QMTCFG="keepalive",0', 'AT+QMTCFG="keepalive",0\r\r\n+QMTCFG: "keepalive",120\r\n\r\nOK\r\n');
    await host.cmd('AT+QMTCONN?', 'AT+QMTCONN?\r\r\nOK\r\n');
  });

  it('AT+CFUN=1,1 answers OK, POWERED DOWN, then boots; AT+QPOWD stays off until powerOn()', async () => {
    make();
    const host = await bootedHost();
    await host.cmd('AT+CFUN=1,1', '\r\nOK\r\n');
    await host.read('\r\nPOWERED DOWN\r\n');
    await host.read('\r\nRDY\r\n');
    await host.skipPast('+QIND: PB DONE\r\n');
    await host.cmd('AT+QPOWD', 'AT+QPOWD\r\r\nOK\r\n');
    await host.read('\r\nPOWERED DOWN\r\n');
    host.write('AT\r');
    emu.faults.powerOn();
    await host.read('\r\nRDY\r\n');
  });

  it('noise is sent as is; closePort ends the host stream', async () => {
    make();
    const host = await bootedHost();
    emu.faults.noise(Buffer.from([0x00, 0xff, 0x7e]));
    await host.read(Buffer.from([0x00, 0xff, 0x7e]));
    emu.faults.closePort();
    await host.waitEnd();
  });
});

/** Resolves at the emulator's next 'log' line matching `re`. */
function logged(re: RegExp): Promise<string> {
  return within(
    new Promise<string>((resolve) => {
      const on = (text: string): void => {
        if (!re.test(text)) return;
        emu.off('log', on);
        resolve(text);
      };
      emu.on('log', on);
    }),
    `emulator log ${re}`,
  );
}

// docs/models/ec20.md "URC port": the setting lives in NV memory (factory "usbat") and URCs
// go to the port it names only.
describe('ec20 emulator: URC port and host interface', () => {
  it('a host on the UART sees no URC while the URC port is the factory usbat, every URC after uart1', async () => {
    make({ strict: true, hostInterface: 'uart' });
    assert.deepEqual(emu.hostPortIds, { vendorId: '0403', productId: '6001' });
    const lastBootUrc = logged(/PB DONE/);
    const stream = emu.createHostStream();
    streams.push(stream);
    const host = new ScriptedHost(stream);
    await lastBootUrc;
    await host.cmd('ATE0', 'ATE0\r\r\nOK\r\n');
    await host.cmd('AT+QURCCFG="urcport"', '\r\n+QURCCFG: "urcport","usbat"\r\n\r\nOK\r\n');
    await host.cmd('AT+QIACT=1', '\r\nOK\r\n');
    const lost = logged(/\+QMTOPEN: 0,0/);
    await host.cmd('AT+QMTOPEN=0,"iot.example.com",1883', '\r\nOK\r\n');
    await lost;
    assert.equal(host.unread, '', 'the result URC went to the USB AT port');
    await host.cmd('AT+QURCCFG="urcport","uart1"', '\r\nOK\r\n');
    await host.cmd('AT+QMTCONN=0,"dev1_0_0_2025041401","dev1","c75150e6"', '\r\nOK\r\n\r\n+QMTCONN: 0,0,0\r\n');
    // Kept in NV memory: a restart does not bring the factory value back.
    emu.faults.reboot();
    await host.read('\r\nRDY\r\n');
    await host.skipPast('+QIND: PB DONE\r\n');
    await host.cmd('AT+QURCCFG="urcport"', 'AT+QURCCFG="urcport"\r\r\n+QURCCFG: "urcport","uart1"\r\n\r\nOK\r\n');
    assert.deepEqual(emu.violations, []);
  });

  it('a host on the USB AT port (the default; Quectel USB ids) loses URCs once the port is set to uart1', async () => {
    make({ urcPort: 'uart1' });
    assert.equal(emu.hostInterface, 'usb');
    assert.deepEqual(emu.hostPortIds, { vendorId: '2c7c', productId: '0125' });
    const lastBootUrc = logged(/PB DONE/);
    const stream = emu.createHostStream();
    streams.push(stream);
    const host = new ScriptedHost(stream);
    await lastBootUrc;
    await host.cmd('AT+QURCCFG="urcport"', 'AT+QURCCFG="urcport"\r\r\n+QURCCFG: "urcport","uart1"\r\n\r\nOK\r\n');
    await host.cmd('AT+QURCCFG="urcport","usbat"', 'AT+QURCCFG="urcport","usbat"\r\r\nOK\r\n');
    emu.faults.reboot();
    await host.read('\r\nRDY\r\n');
  });
});

describe('ec20 emulator: power-on at port open', () => {
  it('restarts at every port open; input is lost until the application is up', async () => {
    make({ powerOnAtPortOpen: true, bootDelayMs: 30 });
    const first = emu.createHostStream();
    streams.push(first);
    const one = new ScriptedHost(first);
    await one.skipPast('+QIND: PB DONE\r\n');
    await one.cmd('ATE0', 'ATE0\r\r\nOK\r\n');
    first.destroy();
    const second = emu.createHostStream();
    streams.push(second);
    const two = new ScriptedHost(second);
    // Sent while the module boots: lost, so the first thing back is the boot output.
    two.write('AT+CGSN\r');
    await two.read('\r\nRDY\r\n');
    await two.skipPast('+QIND: PB DONE\r\n');
    // Echo is back on: everything volatile went with the restart.
    await two.cmd('AT', 'AT\r\r\nOK\r\n');
  });
});

describe('ec20 emulator over TCP', () => {
  it('serves one host connection at a time and keeps state across reconnects', async () => {
    make();
    const port = await emu.listenTcp(0);
    const first = net.connect(port, '127.0.0.1');
    streams.push(first);
    const host = new ScriptedHost(first);
    await host.skipPast('+QIND: PB DONE\r\n');
    await host.cmd('ATE0', 'ATE0\r\r\nOK\r\n');
    const second = net.connect(port, '127.0.0.1');
    streams.push(second);
    await onceWithin(second, 'close');
    first.destroy();
    await onceWithin(first, 'close');
    const third = net.connect(port, '127.0.0.1');
    streams.push(third);
    const again = new ScriptedHost(third);
    // No reboot on reconnect: the modem kept running, echo is still off.
    await again.cmd('AT', '\r\nOK\r\n');
  });
});
