/**
 * The ESP8266 dialect engine driven by a scripted host that writes raw bytes and asserts the
 * exact bytes the manual prescribes, against a real aedes broker on 127.0.0.1:0.
 */
import { describe, it, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { Aedes } from 'aedes';
import { Esp8266Engine, type EspEngineOptions } from '../../dist/sim/modems/esp8266-engine';
import { PassThrough } from 'node:stream';
import { ScriptedHost, brokerPublish, startBroker, type TestBroker } from './scripted-host';
import { resample, romLogText } from '../../dist/sim/modems/esp8266-boot-log';

let tb: TestBroker;
let broker: Aedes;
let brokerPort = 0;
const connects: { clientId: string; username?: string; password?: string }[] = [];
let refuseNext = false;

before(async () => {
  tb = await startBroker();
  ({ broker, port: brokerPort } = tb);
  broker.authenticate = (client, username, password, done) => {
    connects.push({ clientId: client.id, username, password: password?.toString('utf8') });
    if (refuseNext) {
      refuseNext = false;
      const err = Object.assign(new Error('bad user name or password'), { returnCode: 4 });
      done(err as any, false);
      return;
    }
    done(null, true);
  };
});

after(() => tb.close());

let host: ScriptedHost;
let engine: Esp8266Engine;
/** Strict-mode findings of the engine under test. */
let violations: string[];

function start(opts: EspEngineOptions = {}): void {
  // The engine's output goes through a pipe the shared scripted host reads in exact pieces.
  const out = new PassThrough();
  host = new ScriptedHost(out);
  violations = [];
  engine = new Esp8266Engine({ send: (bytes) => out.write(bytes), violation: (text) => violations.push(text) }, {
    latencyMs: [1, 3],
    resolveBroker: () => ({ host: '127.0.0.1', port: brokerPort }),
    ...opts,
  });
}
function write(text: string | Buffer): void {
  engine.input(Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1'));
}
/** Send a command with echo off and expect exactly `answer`. */
async function cmd(line: string, answer: string): Promise<void> {
  write(`${line}\r\n`);
  await host.read(answer);
}

/** The next publish the broker receives from a client on `topic`. */
function nextUplink(topic: string): Promise<Buffer> {
  return new Promise((resolve) => {
    const onPub = (packet: { topic: string; payload: Buffer | string }, client: unknown) => {
      if (client && packet.topic === topic) {
        broker.removeListener('publish', onPub);
        resolve(Buffer.from(packet.payload));
      }
    };
    broker.on('publish', onPub);
  });
}

async function wifiAndMqtt(): Promise<void> {
  await cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
  await cmd('AT+CWJAP="lab","secret"', 'WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n');
  await cmd('AT+MQTTUSERCFG=0,1,"dev_0_0_2025041401","dev","pw",0,0,""', '\r\nOK\r\n');
  await cmd('AT+MQTTCONN=0,"iot.example.com",1883,0', '+MQTTCONNECTED:0,1,"iot.example.com","1883","",0\r\n\r\nOK\r\n');
}

describe('esp8266 engine: line discipline and boot', () => {
  beforeEach(() => start());
  afterEach(() => engine.close());

  it('boots with 74880-baud garbage then ready, echo on, ATE0 turns echo off', async () => {
    engine.powerOn(0);
    const garbage = Buffer.from(await host.skipPast('\r\nready\r\n'), 'latin1');
    assert.ok(garbage.length > 10 && garbage.includes(0), 'ROM garbage with a NUL precedes ready');
    await cmd('AT', 'AT\r\n\r\nOK\r\n');
    await cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
    await cmd('AT', '\r\nOK\r\n');
    await cmd('ATE1', '\r\nOK\r\n');
    await cmd('AT', 'AT\r\n\r\nOK\r\n');
  });

  it('the ROM log is the 74880-baud text as a 115200 receiver decodes it; an AT port on GPIO15/13 shows none', async () => {
    engine.powerOn(0, 2);
    const garbage = Buffer.from(await host.skipPast('\r\nready\r\n'), 'latin1');
    assert.deepEqual(garbage, resample(Buffer.from(romLogText(2), 'latin1'), 74_880, 115_200));
    assert.equal(garbage.subarray(0, 2).toString('latin1'), 'rl');
    engine.close();
    start({ atPins: 'tx15-rx13' });
    engine.powerOn(0);
    await host.read('\r\nready\r\n');
  });

  it('a UART receiver at the sender rate decodes the bytes exactly', () => {
    const text = Buffer.from(romLogText(1), 'latin1');
    assert.deepEqual(resample(text, 74_880, 74_880), text);
  });

  it('AT+RST answers OK, then garbage and ready, and forgets ATE0', async () => {
    await cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
    await cmd('AT+RST', '\r\nOK\r\n');
    await host.skipPast('\r\nready\r\n');
    await cmd('AT', 'AT\r\n\r\nOK\r\n');
  });

  it('a command split into 1-byte chunks is still one command', async () => {
    for (const b of Buffer.from('AT+CWMODE?\r\n')) write(Buffer.from([b]));
    await host.read('AT+CWMODE?\r\n+CWMODE:1\r\n\r\nOK\r\n');
  });

  it('AT+GMR names firmware 2.2.0.0 by default', async () => {
    await cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
    write('AT+GMR\r\n');
    await host.read('AT version:2.2.0.0(');
    await host.skipPast('\r\n\r\nOK\r\n');
  });

  it('a line of 256 bytes or more answers ERROR', async () => {
    await cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
    await cmd(`AT+MQTTPUB=0,"t","${'x'.repeat(240)}",0,0`, '\r\nERROR\r\n');
  });
});

describe('esp8266 engine: Wi-Fi', () => {
  afterEach(() => engine.close());

  const table: { name: string; ssid: string; pwd: string; answer: string }[] = [
    { name: 'escaped SSID and password join', ssid: String.raw`"My\,\"AP\"\\"`, pwd: String.raw`"p\,w\"d"`, answer: 'WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n' },
    { name: 'wrong password gives +CWJAP:2', ssid: String.raw`"My\,\"AP\"\\"`, pwd: '"nope"', answer: '+CWJAP:2\r\n\r\nERROR\r\n' },
    { name: 'unknown SSID gives +CWJAP:3', ssid: '"Other"', pwd: '"x"', answer: '+CWJAP:3\r\n\r\nERROR\r\n' },
  ];
  for (const c of table) {
    it(c.name, async () => {
      start({ wifiNetworks: [{ ssid: 'My,"AP"\\', password: 'p,w"d', rssi: -61 }] });
      await cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
      await cmd(`AT+CWJAP=${c.ssid},${c.pwd}`, c.answer);
    });
  }

  it('CWJAP? prints the SSID unescaped, CWQAP disconnects', async () => {
    start({ wifiNetworks: [{ ssid: 'My,"AP"', password: 'pw', rssi: -61 }] });
    await cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
    await cmd('AT+CWJAP?', 'No AP\r\n\r\nOK\r\n');
    await cmd(String.raw`AT+CWJAP="My\,\"AP\"","pw"`, 'WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n');
    await cmd('AT+CWJAP?', '+CWJAP:"My,"AP"","c8:3a:35:0e:22:f1",6,-61,0,1,3,0,1\r\n\r\nOK\r\n');
    await cmd('AT+CIPSTA?', '+CIPSTA:ip:"192.168.4.23"\r\n+CIPSTA:gateway:"192.168.4.1"\r\n+CIPSTA:netmask:"255.255.255.0"\r\n\r\nOK\r\n');
    await cmd('AT+CWQAP', 'WIFI DISCONNECT\r\n\r\nOK\r\n');
    await cmd('AT+CWJAP?', 'No AP\r\n\r\nOK\r\n');
  });

  it('injected join failure code 1 (timeout), and NonOS firmware ends with FAIL', async () => {
    start();
    await cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
    engine.faultWifiJoin(1);
    await cmd('AT+CWJAP="a","b"', '+CWJAP:1\r\n\r\nERROR\r\n');
    engine.close();
    start({ firmware: '1.7.4.0' });
    await cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
    engine.faultWifiJoin(4);
    await cmd('AT+CWJAP="a","b"', '+CWJAP:4\r\n\r\nFAIL\r\n');
  });
});

describe('esp8266 engine: MQTT against a real broker', () => {
  beforeEach(() => start());
  afterEach(() => engine.close());

  it('connects with the AT credentials; +MQTTCONNECTED comes before OK; MQTTCONN? reports state 4', async () => {
    connects.length = 0;
    await wifiAndMqtt();
    assert.deepEqual(connects.at(-1), { clientId: 'dev_0_0_2025041401', username: 'dev', password: 'pw' });
    await cmd('AT+MQTTCONN?', '+MQTTCONN:0,4,1,"iot.example.com","1883","",0\r\n\r\nOK\r\n');
  });

  it('a refused CONNACK gives +MQTTDISCONNECTED:0 then ERROR, and the target is forgotten', async () => {
    await cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
    await cmd('AT+CWJAP="lab","secret"', 'WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n');
    await cmd('AT+MQTTUSERCFG=0,1,"dev_0_0_2025041401","dev","bad",0,0,""', '\r\nOK\r\n');
    refuseNext = true;
    await cmd('AT+MQTTCONN=0,"iot.example.com",1883,0', '+MQTTDISCONNECTED:0\r\n\r\nERROR\r\n');
    await cmd('AT+MQTTCONN?', '+MQTTCONN:0,2,1,"","","",0\r\n\r\nOK\r\n');
  });

  it('MQTTCONN without Wi-Fi fails the same way', async () => {
    await cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
    await cmd('AT+MQTTUSERCFG=0,1,"c","u","p",0,0,""', '\r\nOK\r\n');
    await cmd('AT+MQTTCONN=0,"h",1883,0', '+MQTTDISCONNECTED:0\r\n\r\nERROR\r\n');
  });

  it('PUBRAW: OK then > then exactly len raw bytes, then +MQTTPUB:OK; the broker gets the bytes', async () => {
    await wifiAndMqtt();
    const topic = '$oc/devices/dev/sys/properties/report';
    const body = Buffer.from('{"a":"x,y\\"z"}\r\n\x00\x1a', 'latin1');
    const got = nextUplink(topic);
    write(`AT+MQTTPUBRAW=0,"${topic}",${body.length},1,0\r\n`);
    await host.read('\r\nOK\r\n\r\n>');
    write(body);
    await host.read('\r\n+MQTTPUB:OK\r\n');
    assert.deepEqual(await got, body);
  });

  it('PUBRAW above the ESP8266 512-byte buffer answers OK and > and fails after the data', async () => {
    await wifiAndMqtt();
    let uplinks = 0;
    const count = (packet: { topic: string }) => {
      if (packet.topic === 't/x') uplinks++;
    };
    broker.on('publish', count);
    await cmd('AT+MQTTPUBRAW=0,"t/x",506,0,0', '\r\nOK\r\n\r\n>'); // 506 + 1 + 2 + 2 + 3 = 514 > 512
    write(Buffer.alloc(506, 0x42));
    await host.read('\r\n+MQTTPUB:FAIL\r\n');
    await cmd('AT+MQTTPUBRAW=0,"t/x",504,0,0', '\r\nOK\r\n\r\n>'); // 504 + 1 + 2 + 2 + 3 = 512
    write(Buffer.alloc(504, 0x41));
    await host.read('\r\n+MQTTPUB:OK\r\n');
    broker.removeListener('publish', count);
    assert.equal(uplinks, 1, 'only the message that fits reaches the broker');
  });

  it('a link drop during PUBRAW data entry prints +MQTTDISCONNECTED:0 with no line end, then +MQTTPUB:FAIL', async () => {
    await wifiAndMqtt();
    engine.faultDropLinkDuringPublish();
    write('AT+MQTTPUBRAW=0,"t/x",5,0,0\r\n');
    await host.read('\r\nOK\r\n\r\n>');
    write('he'); // the link drops while the data comes in
    await host.read('+MQTTDISCONNECTED:0');
    write('llo');
    await host.read('+MQTTPUB:FAIL\r\n');
    await cmd('AT+MQTTCONN?', '+MQTTCONN:0,3,1,"iot.example.com","1883","",0\r\n\r\nOK\r\n');
  });

  it('MQTTPUB unescapes \\" \\, \\\\ in the data', async () => {
    await wifiAndMqtt();
    const got = nextUplink('t/pub');
    await cmd(String.raw`AT+MQTTPUB=0,"t/pub","{\"v\":\"1\,2\\\"}",0,0`, '\r\nOK\r\n');
    assert.equal((await got).toString('latin1'), '{"v":"1,2\\"}');
  });

  it('downlinks arrive as +MQTTSUBRECV with raw data (quotes, CR LF inside) and exact length', async () => {
    await wifiAndMqtt();
    const topic = '$oc/devices/dev/sys/commands/#';
    await cmd(`AT+MQTTSUB=0,"${topic}",1`, '\r\nOK\r\n');
    // 2.2.0.0 (the default) prints ALREADY SUBSCRIBE on its log UART: the AT port sees the OK alone.
    await cmd(`AT+MQTTSUB=0,"${topic}",1`, '\r\nOK\r\n');
    await cmd('AT+MQTTSUB?', `+MQTTSUB:0,6,"${topic}",1\r\n\r\nOK\r\n`);
    const t = '$oc/devices/dev/sys/commands/request_id=42';
    const payload = '{"paras":{"s":"a\r\nb"},"command_name":"ON,OFF"}';
    await brokerPublish(broker, t, payload, 1);
    await host.read(`+MQTTSUBRECV:0,"${t}",${Buffer.byteLength(payload)},${payload}\r\n`);
    await cmd(`AT+MQTTUNSUB=0,"${topic}"`, '\r\nOK\r\n');
    await cmd(`AT+MQTTUNSUB=0,"${topic}"`, 'NO UNSUBSCRIBE\r\n\r\nOK\r\n');
  });

  for (const buffer of [512, 1024]) {
    it(`a downlink over the ${buffer}-byte MQTT buffer is split into URCs that each repeat the topic with their own length`, async () => {
      engine.close();
      start(buffer === 512 ? {} : { mqttBufferBytes: buffer });
      await wifiAndMqtt();
      const t = 'big/t';
      await cmd(`AT+MQTTSUB=0,"${t}",0`, '\r\nOK\r\n');
      const payload = Buffer.alloc(2100);
      for (let i = 0; i < payload.length; i++) payload[i] = 0x61 + (i % 26);
      await brokerPublish(broker, t, payload, 0);
      // QoS 0 PUBLISH header: 1 type + 2 remaining length + 2 topic length + 5 topic = 10 bytes;
      // esp-mqtt fills its buffer first, then reads a buffer at a time.
      const sizes = [buffer - 10];
      for (let rest = 2100 - sizes[0]; rest > 0; rest -= buffer) sizes.push(Math.min(buffer, rest));
      let off = 0;
      for (const n of sizes) {
        const p = payload.subarray(off, off + n);
        off += n;
        await host.read(Buffer.concat([Buffer.from(`+MQTTSUBRECV:0,"${t}",${p.length},`), p, Buffer.from('\r\n')]));
      }
      assert.deepEqual(sizes, buffer === 512 ? [502, 512, 512, 512, 62] : [1014, 1024, 62]);
    });
  }

  it('2.3.0.0 prints ALREADY SUBSCRIBE on the AT port (2.2.0.0 sends it to its log UART)', async () => {
    engine.close();
    start({ firmware: '2.3.0.0' });
    await wifiAndMqtt();
    await cmd('AT+MQTTSUB=0,"a/b",1', '\r\nOK\r\n');
    await cmd('AT+MQTTSUB=0,"a/b",1', 'ALREADY SUBSCRIBE\r\n\r\nOK\r\n');
  });

  it('a downlink whose packet is exactly 512 bytes arrives whole', async () => {
    await wifiAndMqtt();
    await cmd('AT+MQTTSUB=0,"big/t",0', '\r\nOK\r\n');
    const payload = Buffer.alloc(502, 0x7a);
    await brokerPublish(broker, 'big/t', payload, 0);
    await host.read(Buffer.concat([Buffer.from('+MQTTSUBRECV:0,"big/t",502,'), payload, Buffer.from('\r\n')]));
  });

  it('link loss gives +MQTTDISCONNECTED:0 and state 3', async () => {
    await wifiAndMqtt();
    engine.faultDropLink();
    await host.read('+MQTTDISCONNECTED:0\r\n');
    await cmd('AT+MQTTCONN?', '+MQTTCONN:0,3,1,"iot.example.com","1883","",0\r\n\r\nOK\r\n');
    await cmd('AT+MQTTPUB=0,"t","x",0,0', '\r\nERROR\r\n');
  });

  it('LONG commands (2.2.2.0 on): OK, >, raw bytes, OK; the broker sees the long client id', async () => {
    engine.close();
    start({ firmware: '2.2.2.0' });
    connects.length = 0;
    await cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
    await cmd('AT+CWJAP="lab","secret"', 'WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n');
    await cmd('AT+MQTTUSERCFG=0,1,"","dev","",0,0,""', '\r\nOK\r\n');
    const longId = `${'d'.repeat(100)}_0_0_2025041401`;
    await cmd(`AT+MQTTLONGCLIENTID=0,${longId.length}`, '\r\nOK\r\n\r\n>');
    write(longId);
    await host.read('\r\nOK\r\n');
    await cmd('AT+MQTTLONGPASSWORD=0,5', '\r\nOK\r\n\r\n>');
    write('a,"b"');
    await host.read('\r\nOK\r\n');
    await cmd('AT+MQTTCONN=0,"h",1883,0', '+MQTTCONNECTED:0,1,"h","1883","",0\r\n\r\nOK\r\n');
    assert.equal(connects.at(-1)?.clientId, longId);
    assert.equal(connects.at(-1)?.password, 'a,"b"');
  });
});

describe('esp8266 engine: firmware, faults and strict mode', () => {
  afterEach(() => engine.close());

  it('v1.x firmware answers MQTT commands with ERROR and records no violation', async () => {
    start({ firmware: '1.7.4.0', strict: true });
    await cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
    write('AT+GMR\r\n');
    await host.read('AT version:1.7.4.0(');
    await host.skipPast('\r\nOK\r\n');
    await cmd('AT+MQTTUSERCFG=0,1,"c","u","p",0,0,""', '\r\nERROR\r\n');
    await cmd('AT+MQTTCONN?', '\r\nERROR\r\n');
    assert.deepEqual(violations, []);
  });

  it('AT+CIPMQTT* answers ERROR and is a violation', async () => {
    start({ strict: true });
    await cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
    await cmd('AT+CIPMQTTCONN=0,"h",1883', '\r\nERROR\r\n');
    assert.equal(violations.length, 1);
    assert.match(violations[0], /CIPMQTT/);
  });

  const malformed: { name: string; line: string; errCode: string; violation: RegExp }[] = [
    { name: 'bare comma inside a quoted string', line: 'AT+MQTTPUB=0,"messages/log","765933, 94875095",0,0', errCode: '0x01080002', violation: /bare ','/ },
    { name: 'unescaped quote inside a quoted string', line: 'AT+MQTTPUB=0,"t","{"a":1}",0,0', errCode: '0x01080002', violation: /unescaped '"'/ },
    { name: 'wrong parameter count', line: 'AT+MQTTSUB=0,"t"', errCode: '0x01060000', violation: /expected 3 parameters, got 2/ },
    { name: 'unknown command', line: 'AT+FOO=1', errCode: '0x01090000', violation: /unknown command/ },
    { name: 'CR inside a value (injection)', line: 'AT+CWJAP="a\rAT+RST","b"', errCode: '0x01080000', violation: /CR, LF or NUL/ },
  ];
  for (const c of malformed) {
    it(`strict: ${c.name} -> ERR CODE and ERROR, one violation`, async () => {
      start({ strict: true });
      await cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
      await cmd('AT+SYSLOG=1', '\r\nOK\r\n');
      write(`${c.line}\r\n`);
      await host.read('ERR CODE:');
      const rest = await host.skipPast('\r\n\r\nERROR\r\n');
      assert.match(`ERR CODE:${rest}`, new RegExp(`^ERR CODE:0x01${c.errCode.slice(4, 6)}`));
      assert.equal(violations.length, 1, violations.join(' | '));
      assert.match(violations[0], c.violation);
    });
  }

  it('the real-capture bare-comma line gives exactly ERR CODE:0x01080002', async () => {
    start({ strict: false });
    await cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
    await cmd('AT+SYSLOG=1', '\r\nOK\r\n');
    await cmd('AT+MQTTPUB=0,"messages/log","765933, 94875095",0,0', 'ERR CODE:0x01080002\r\n\r\nERROR\r\n');
    assert.deepEqual(violations, [], 'non-strict mode records nothing');
  });

  it('busy fault: the next N commands answer busy p... and do not run', async () => {
    start();
    await cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
    engine.faultBusy(2);
    await cmd('AT+CWMODE=2', 'busy p...\r\n');
    await cmd('AT+CWMODE=3', 'busy p...\r\n');
    await cmd('AT+CWMODE?', '+CWMODE:1\r\n\r\nOK\r\n');
  });

  it('errorOnCommand(2): the second command from now answers ERROR', async () => {
    start();
    await cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
    engine.faultErrorOnCommand(2);
    await cmd('AT', '\r\nOK\r\n');
    await cmd('AT', '\r\nERROR\r\n');
    await cmd('AT', '\r\nOK\r\n');
  });

  it('a command sent while another runs gets busy p...', async () => {
    start();
    await cmd('ATE0', 'ATE0\r\n\r\nOK\r\n');
    write('AT+CWJAP="a","b"\r\nAT\r\n');
    await host.read('busy p...\r\n');
    await host.read('WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n');
  });
});
