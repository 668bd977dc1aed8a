/**
 * The ESP8266 emulator through the public API: createModemEmulator({ model: 'esp8266' }), a
 * scripted host writing raw bytes over createHostStream() or TCP, a real aedes broker.
 */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { Aedes } from 'aedes';
import { createModemEmulator, type Esp8266Emulator, type Esp8266EmulatorOptions } from '../../dist/sim/modems/index';
import { onceWithin, within } from '../modems/event-deadline';
import { ScriptedHost, startBroker, type TestBroker } from './scripted-host';

let testBroker: TestBroker;
let broker: Aedes;
let brokerPort = 0;

before(async () => {
  testBroker = await startBroker();
  ({ broker, port: brokerPort } = testBroker);
});

after(() => testBroker.close());

let emu: Esp8266Emulator;
const streams: Duplex[] = [];

function make(opts: Partial<Omit<Esp8266EmulatorOptions, 'model'>> = {}): Esp8266Emulator {
  emu = createModemEmulator({
    model: 'esp8266',
    bootDelayMs: 5,
    baudRate: 0,
    urcLatencyMs: [1, 3],
    resolveBroker: () => ({ host: '127.0.0.1', port: brokerPort }),
    ...opts,
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
  const host = new ScriptedHost(stream, '\r\n');
  await host.skipPast('\r\nready\r\n');
  return host;
}

describe('esp8266 emulator over createHostStream()', () => {
  it('boots, echoes, and runs a whole IoTDA-style session against the broker', async () => {
    make({ strict: true });
    const host = await bootedHost();
    await host.cmd('AT', 'AT\r\n\r\nOK\r\n');
    await host.cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
    await host.cmd('AT+CWMODE=1', '\r\nOK\r\n');
    await host.cmd('AT+CWJAP="lab","pw"', 'WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n');
    await host.cmd('AT+MQTTUSERCFG=0,1,"d1_0_0_2025041401","d1","c75150e6",0,0,""', '\r\nOK\r\n');
    await host.cmd('AT+MQTTCONNCFG=0,120,0,"","",0,0', '\r\nOK\r\n');
    await host.cmd('AT+MQTTCONN=0,"x.iotda.example",1883,0', '+MQTTCONNECTED:0,1,"x.iotda.example","1883","",0\r\n\r\nOK\r\n');
    await host.cmd('AT+MQTTSUB=0,"$oc/devices/d1/sys/messages/down",1', '\r\nOK\r\n');

    const body = '{"services":[{"service_id":"T","properties":{"v":57}}]}';
    const uplink = new Promise<string>((resolve) => {
      const on = (p: { topic: string; payload: Buffer | string }, c: unknown) => {
        if (c && p.topic === '$oc/devices/d1/sys/properties/report') {
          broker.removeListener('publish', on);
          resolve(p.payload.toString());
        }
      };
      broker.on('publish', on);
    });
    host.write(`AT+MQTTPUBRAW=0,"$oc/devices/d1/sys/properties/report",${body.length},1,0\r\n`);
    await host.read('\r\nOK\r\n\r\n>');
    host.write(body);
    await host.read('\r\n+MQTTPUB:OK\r\n');
    assert.equal(await within(uplink, 'the MQTTPUBRAW uplink at the broker'), body);

    const down = '{"content":"say \\"hi\\",\r\nbye"}';
    broker.publish({ cmd: 'publish', topic: '$oc/devices/d1/sys/messages/down', payload: Buffer.from(down), qos: 1, retain: false, dup: false }, () => undefined);
    await host.read(`+MQTTSUBRECV:0,"$oc/devices/d1/sys/messages/down",${Buffer.byteLength(down)},${down}\r\n`);

    assert.deepEqual(emu.violations, []);
    assert.ok(emu.transcript.some((e) => e.dir === 'in' && e.bytes.includes('AT+MQTTPUBRAW')));
    assert.ok(emu.transcript.some((e) => e.dir === 'out' && e.bytes.includes('+MQTTPUB:OK')));
  });

  it('faults.dropLink() gives +MQTTDISCONNECTED:0; faults.reboot() brings ready and echo back', async () => {
    make();
    const host = await bootedHost();
    await host.cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
    await host.cmd('AT+CWJAP="lab","pw"', 'WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n');
    await host.cmd('AT+MQTTUSERCFG=0,1,"c","u","p",0,0,""', '\r\nOK\r\n');
    await host.cmd('AT+MQTTCONN=0,"h",1883,0', '+MQTTCONNECTED:0,1,"h","1883","",0\r\n\r\nOK\r\n');
    emu.faults.dropLink();
    await host.read('+MQTTDISCONNECTED:0\r\n');
    const booted = onceWithin(emu, 'boot');
    emu.faults.reboot();
    await booted;
    await host.skipPast('\r\nready\r\n');
    await host.cmd('AT', 'AT\r\n\r\nOK\r\n');
    await host.cmd('AT+MQTTCONN?', 'AT+MQTTCONN?\r\n+MQTTCONN:0,0,0,"","","",0\r\n\r\nOK\r\n');
  });

  it('reconnect=1: after a drop the modem reconnects by itself and says +MQTTCONNECTED', async () => {
    make();
    const host = await bootedHost();
    await host.cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
    await host.cmd('AT+CWJAP="lab","pw"', 'WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n');
    await host.cmd('AT+MQTTUSERCFG=0,1,"c","u","p",0,0,""', '\r\nOK\r\n');
    await host.cmd('AT+MQTTCONN=0,"h",1883,1', '+MQTTCONNECTED:0,1,"h","1883","",1\r\n\r\nOK\r\n');
    emu.faults.dropLink();
    await host.read('+MQTTDISCONNECTED:0\r\n');
    await host.read('+MQTTCONNECTED:0,1,"h","1883","",1\r\n');
    await host.cmd('AT+MQTTCONN?', '+MQTTCONN:0,4,1,"h","1883","",1\r\n\r\nOK\r\n');
  });

  it('generic faults from the core: busy, errorOnCommand, noise, closePort', async () => {
    make();
    const host = await bootedHost();
    await host.cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
    emu.faults.busy(1);
    await host.cmd('AT', 'busy p...\r\n');
    emu.faults.errorOnCommand(1);
    await host.cmd('AT', '\r\nERROR\r\n');
    await host.cmd('AT', '\r\nOK\r\n');
    emu.faults.noise(Buffer.from([0x00, 0xff, 0x7e]));
    await host.read(Buffer.from([0x00, 0xff, 0x7e]));
    emu.faults.closePort();
    await host.waitEnd();
  });

  it('model faults: wifiJoinFailure(2) and connectRefused()', async () => {
    make();
    const host = await bootedHost();
    await host.cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
    emu.faults.wifiJoinFailure(2);
    await host.cmd('AT+CWJAP="lab","pw"', '+CWJAP:2\r\n\r\nERROR\r\n');
    await host.cmd('AT+CWJAP="lab","pw"', 'WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n');
    await host.cmd('AT+MQTTUSERCFG=0,1,"c","u","p",0,0,""', '\r\nOK\r\n');
    emu.faults.connectRefused();
    await host.cmd('AT+MQTTCONN=0,"h",1883,0', '+MQTTDISCONNECTED:0\r\n\r\nERROR\r\n');
    await host.cmd('AT+MQTTCONN=0,"h",1883,0', '+MQTTCONNECTED:0,1,"h","1883","",0\r\n\r\nOK\r\n');
  });

  it('v1.x firmware option: AT+GMR says 1.7.4.0 and MQTT commands answer ERROR', async () => {
    make({ espFirmware: '1.7.4.0' });
    const host = await bootedHost();
    await host.cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
    host.write('AT+GMR\r\n');
    await host.read('AT version:1.7.4.0(');
    await host.skipPast('\r\nOK\r\n');
    await host.cmd('AT+MQTTUSERCFG=0,1,"c","u","p",0,0,""', '\r\nERROR\r\n');
  });

  it('output is paced at the baud rate (9600 baud: ~1 ms per byte)', async () => {
    make({ baudRate: 9600 });
    const host = await bootedHost();
    await host.cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
    const started = performance.now();
    host.write('AT+GMR\r\n');
    const gmr = await host.skipPast('\r\n\r\nOK\r\n');
    const bytes = gmr.length + 8;
    const elapsed = performance.now() - started;
    // 10 bits per byte: the answer cannot arrive faster than the wire allows.
    assert.ok(elapsed >= (bytes * 10 * 1000) / 9600 * 0.8, `${bytes} bytes in ${elapsed.toFixed(1)} ms`);
  });
});

describe('esp8266 emulator over TCP', () => {
  it('listenTcp(): a raw socket host gets ready, echo and OK', async () => {
    make();
    const port = await emu.listenTcp(0, '127.0.0.1');
    const socket = net.connect(port, '127.0.0.1');
    streams.push(socket);
    await onceWithin(socket, 'connect');
    const host = new ScriptedHost(socket, '\r\n');
    await host.skipPast('\r\nready\r\n');
    await host.cmd('AT+CIPMQTTCONN=0', 'AT+CIPMQTTCONN=0\r\n\r\nERROR\r\n');
    await host.cmd('AT', 'AT\r\n\r\nOK\r\n');
  });
});
