/**
 * The real driver and AT channel against scripted Quectel answers: the exact commands the
 * driver sends and how each modem answer maps to a result or a ModemError.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createModemDriver } from '../../dist/modems/generic-driver';
import { ModemError, PayloadRejectedError } from '../../dist/modems/errors';
import { ScriptedModem, healthyQuectel, useScriptedDrivers } from './scripted-modem';
import { onceWithin } from './event-deadline';

const D = '$oc/devices/myprod_dev01/sys';
const { setup, drivers } = useScriptedDrivers();

async function connected(model: 'ec20' | 'bc26' = 'ec20') {
  const s = setup(model);
  await s.driver.init();
  await s.driver.open('iot.example.com', 1883, false);
  await s.driver.connect('myprod_dev01_0_0_2025041401', 'myprod_dev01', 'c75150e6cb841417396819e4d2ee4358a416344a03a083e3a8567074ddec820a', 120, true);
  return s;
}

describe('EC20 driver (scripted modem)', () => {
  it('init switches echo off, sets numeric errors, reads the identity; the URC port is left alone when the interface is unknown', async () => {
    const { modem, driver, trace } = setup();
    const id = await driver.init();
    assert.deepEqual(modem.lines.slice(0, 2), ['ATE0', 'AT+CMEE=1']);
    assert.ok(!modem.lines.some((l) => l.startsWith('AT+QURCCFG')), modem.lines.join('\n'));
    assert.ok(trace.some((t) => /URC port left as the module has it: host interface not given/.test(t)), trace.join('\n'));
    assert.equal(id.model, 'EC20F');
    assert.equal(id.firmware, 'EC20CEFAR06A01M4G');
    assert.equal(id.imei, '867223040000001');
  });

  // Issue 10 item 1, docs/models/ec20.md "URC port": query first, change the NV setting only
  // when it differs, log each change; never "uart1" for a host on the USB AT port.
  const urcCases: { hostInterface: 'usb' | 'uart'; module: string; set?: string }[] = [
    { hostInterface: 'usb', module: 'usbat' },
    { hostInterface: 'usb', module: 'uart1', set: 'usbat' },
    { hostInterface: 'usb', module: 'usbmodem', set: 'usbat' },
    { hostInterface: 'uart', module: 'usbat', set: 'uart1' },
    { hostInterface: 'uart', module: 'uart1' },
  ];
  for (const c of urcCases) {
    it(`host on ${c.hostInterface}, module's URC port ${c.module}: ${c.set ? `set to ${c.set} and logged` : 'left as it is'}`, async () => {
      const modem = healthyQuectel(new ScriptedModem('\r'));
      modem.rule(/^AT\+QURCCFG="urcport"$/, `\r\n+QURCCFG: "urcport","${c.module}"\r\n\r\nOK\r\n`);
      modem.isOpen = true;
      const logged: string[] = [];
      const driver = createModemDriver(modem, 'ec20', { hostInterface: c.hostInterface, hostInterfaceReason: 'test', log: (t) => logged.push(t) });
      drivers.push(driver);
      await driver.init();
      const urcLines = modem.lines.filter((l) => l.startsWith('AT+QURCCFG'));
      assert.deepEqual(urcLines, ['AT+QURCCFG="urcport"', ...(c.set ? [`AT+QURCCFG="urcport","${c.set}"`] : [])]);
      if (c.hostInterface === 'usb') assert.ok(!urcLines.includes('AT+QURCCFG="urcport","uart1"'));
      if (c.set) assert.deepEqual(logged, [`URC port changed from ${c.module} to ${c.set} in the module's NV memory: test`]);
      else assert.deepEqual(logged, []);
    });
  }

  it('attach sets the APN and activates the PDP context only when inactive', async () => {
    const { modem, driver } = setup();
    const steps: string[] = [];
    await driver.attachNetwork({ apn: 'cmnet', onStep: (s) => steps.push(s) });
    assert.deepEqual(steps, ['sim', 'network', 'pdp']);
    assert.ok(modem.lines.includes('AT+QICSGP=1,1,"cmnet","","",0'));
    assert.ok(modem.lines.includes('AT+QIACT=1'));

    const again = setup();
    again.modem.rule(/^AT\+QIACT\?$/, '\r\n+QIACT: 1,1,1,"10.3.118.130"\r\n\r\nOK\r\n');
    await again.driver.attachNetwork({ apn: 'cmnet' });
    assert.ok(!again.modem.lines.includes('AT+QIACT=1'), 'QIACT=1 would answer ERROR on an active context');
  });

  it('attach fails at once with a clear error when no SIM is inserted', async () => {
    const { driver, modem } = setup();
    modem.rule(/^AT\+CPIN\?$/, '\r\n+CME ERROR: 10\r\n');
    await driver.init();
    await assert.rejects(driver.attachNetwork({ apn: '', timeoutMs: 60_000 }), (err: unknown) => {
      assert.ok(err instanceof ModemError);
      assert.equal(err.command, 'AT+CPIN?');
      assert.equal(err.code, '+CME ERROR: 10');
      assert.match(err.meaning, /SIM not inserted/);
      return true;
    });
  });

  it('attach reports registration denied with its meaning when every registration says 3', async () => {
    const { driver, modem } = setup();
    modem.rule(/^AT\+C(E|G)?REG\?$/, (m, md) => md.send(`\r\n+C${m[1] ?? ''}REG: 0,3\r\n\r\nOK\r\n`));
    await assert.rejects(driver.attachNetwork({}), /registration denied/);
  });

  // Issue 10 item 2, docs/models/ec20.md "Registration": a data-only IoT SIM is denied
  // circuit-switched service while packet-switched registration succeeds.
  for (const [cgreg, cereg] of [['1', '4'], ['2', '5'], ['3', '1']]) {
    it(`a data-only SIM (+CREG: 0,3, +CGREG: 0,${cgreg}, +CEREG: 0,${cereg}) is registered`, async () => {
      const { driver, modem } = setup();
      modem.rule(/^AT\+CREG\?$/, '\r\n+CREG: 0,3\r\n\r\nOK\r\n');
      modem.rule(/^AT\+CGREG\?$/, `\r\n+CGREG: 0,${cgreg}\r\n\r\nOK\r\n`);
      modem.rule(/^AT\+CEREG\?$/, `\r\n+CEREG: 0,${cereg}\r\n\r\nOK\r\n`);
      const steps: string[] = [];
      await driver.attachNetwork({ apn: 'cmnet', onStep: (s) => steps.push(s) });
      assert.deepEqual(steps, ['sim', 'network', 'pdp']);
    });
  }

  it('a circuit-switched registration alone is not registered for data: the attach keeps waiting', async () => {
    const { driver, modem } = setup();
    modem.rule(/^AT\+CREG\?$/, '\r\n+CREG: 0,1\r\n\r\nOK\r\n');
    modem.rule(/^AT\+C(E|G)REG\?$/, (m, md) => md.send(`\r\n+C${m[1]}REG: 0,2\r\n\r\nOK\r\n`));
    await assert.rejects(driver.attachNetwork({ timeoutMs: 50 }), /not registered before the attach deadline/);
    assert.ok(!modem.lines.includes('AT+QIACT=1'));
  });

  it('an APN with a quote is refused before anything reaches the modem (no AT injection)', async () => {
    const { driver, modem } = setup();
    await assert.rejects(driver.attachNetwork({ apn: 'cmnet"\r\nAT+CFUN=0' }));
    assert.ok(!modem.lines.some((l) => l.startsWith('AT+QICSGP') || l.startsWith('AT+CFUN')));
  });

  it('open cleans stale state, writes the QMTCFG block and reopens after result 2', async () => {
    const { modem, driver } = setup();
    modem.rule(/^AT\+QMTOPEN=0,/, '\r\nOK\r\n\r\n+QMTOPEN: 0,2\r\n', 1);
    await driver.open('iot.example.com', 1883, false);
    const opens = modem.lines.filter((l) => l.startsWith('AT+QMTOPEN'));
    assert.deepEqual(opens, ['AT+QMTOPEN=0,"iot.example.com",1883', 'AT+QMTOPEN=0,"iot.example.com",1883']);
    assert.ok(modem.lines.includes('AT+QMTCFG="version",0,4'));
    assert.ok(modem.lines.includes('AT+QMTCFG="recv/mode",0,0,1'));
    assert.ok(modem.lines.includes('AT+QMTCFG="keepalive",0,120'));
    const firstOpen = modem.lines.indexOf(opens[0]);
    assert.ok(modem.lines.slice(0, firstOpen).includes('AT+QMTDISC=0'));
    assert.ok(modem.lines.slice(0, firstOpen).includes('AT+QMTCLOSE=0'));
    const between = modem.lines.slice(firstOpen + 1, modem.lines.lastIndexOf(opens[1]));
    assert.ok(between.includes('AT+QMTCLOSE=0'), 'closes the occupied identifier before reopening');
  });

  const openFailures: [number, RegExp][] = [
    [-1, /failed to open the network/],
    [1, /wrong parameter/],
    [3, /PDP/],
    [4, /DNS/],
    [5, /network connection error/],
  ];
  for (const [code, meaning] of openFailures) {
    it(`QMTOPEN result ${code} becomes a ModemError`, async () => {
      const { modem, driver } = setup();
      modem.rule(/^AT\+QMTOPEN=0,/, `\r\nOK\r\n\r\n+QMTOPEN: 0,${code}\r\n`);
      await assert.rejects(driver.open('iot.example.com', 1883, false), (err: unknown) => {
        assert.ok(err instanceof ModemError);
        assert.equal(err.code, `+QMTOPEN: 0,${code}`);
        assert.match(err.meaning, meaning);
        assert.match(err.message, /AT\+QMTOPEN=0/);
        return true;
      });
    });
  }

  it('TLS configures the SSL context and enables it on the client', async () => {
    const { modem, driver } = setup();
    // Unverified: the scripted modem has no file system (the verified chain: ec20-tls.test.ts).
    await driver.open('iot.example.com', 8883, { verify: false });
    assert.ok(modem.lines.includes('AT+QMTCFG="ssl",0,1,0'));
    assert.ok(modem.lines.some((l) => l.startsWith('AT+QSSLCFG="sslversion",0')));
  });

  it('CONNACK 4 (bad password) is a failure with the CONNACK meaning and the password redacted', async () => {
    const { modem, driver } = setup();
    modem.rule(/^AT\+QMTCONN=0,/, '\r\nOK\r\n\r\n+QMTCONN: 0,0,4\r\n');
    await driver.open('iot.example.com', 1883, false);
    await assert.rejects(driver.connect('dev_0_0_2025041401', 'dev', 'secretpasswordhex', 120, true), (err: unknown) => {
      assert.ok(err instanceof ModemError);
      assert.equal(err.code, '+QMTCONN: 0,0,4');
      assert.match(err.meaning, /bad user name or password/);
      assert.ok(!err.message.includes('secretpasswordhex'), err.message);
      return true;
    });
  });

  it('a refused subscription (granted QoS 128) fails clearly', async () => {
    const { modem, driver } = await connected();
    modem.rule(/^AT\+QMTSUB=0,(\d+),/, (m, md) => md.send(`\r\nOK\r\n\r\n+QMTSUB: 0,${m[1]},0,128\r\n`));
    await assert.rejects(driver.subscribe('$oc/devices/other/sys/commands/#', 1), /refused the subscription/);
  });

  it('subscribe returns the granted QoS; message ids count per client index', async () => {
    const { modem, driver } = await connected();
    assert.equal(await driver.subscribe(`${D}/commands/#`, 1), 1);
    assert.equal(await driver.subscribe(`${D}/messages/down`, 0), 0);
    assert.deepEqual(modem.lines.filter((l) => l.startsWith('AT+QMTSUB')), [
      `AT+QMTSUB=0,1,"${D}/commands/#",1`,
      `AT+QMTSUB=0,2,"${D}/messages/down",0`,
    ]);
  });

  it('publish uses form B: the exact payload bytes after the prompt, QoS 1 with a mid, QoS 0 with mid 0', async () => {
    const { modem, driver } = await connected();
    const payload = Buffer.from('{"a":"q\\"uote, comma\r\n中文"}\u001a\u0000', 'utf8');
    await driver.publish(`${D}/properties/report`, payload, 1);
    await driver.publish(`${D}/properties/report`, Buffer.from('x'), 0);
    const pubs = modem.lines.filter((l) => l.startsWith('AT+QMTPUB'));
    assert.deepEqual(pubs, [`AT+QMTPUB=0,1,1,0,"${D}/properties/report",${payload.length}`, `AT+QMTPUB=0,0,0,0,"${D}/properties/report",1`]);
    assert.deepEqual(modem.prompted[0], payload);
  });

  it('a failed QoS 1 publish (+QMTPUB result 2) rejects', async () => {
    const { modem, driver } = await connected();
    modem.rule(/^AT\+QMTPUB=0,(\d+),1,0,"[^"]*",(\d+)$/, (m, md) =>
      md.expectPrompt({ length: Number(m[2]), onData: () => md.send(`\r\nOK\r\n\r\n+QMTPUB: 0,${m[1]},2\r\n`) }),
    );
    await assert.rejects(driver.publish(`${D}/properties/report`, Buffer.from('{}'), 1), /failed to send/);
  });

  it('oversized payloads and wildcard topics are refused before any byte is sent', async () => {
    const { modem, driver } = await connected();
    const before = modem.lines.length;
    await assert.rejects(driver.publish(`${D}/properties/report`, Buffer.alloc(2000, 0x41), 1), PayloadRejectedError);
    await assert.rejects(driver.publish(`${D}/+/report`, Buffer.from('{}'), 1), PayloadRejectedError);
    assert.equal(modem.lines.length, before);
  });

  it('downlinks with a length field arrive byte-exact, quotes and CR LF included', async () => {
    const { modem, driver } = await connected();
    const body = Buffer.from('{"paras":{"v":"a\\"b"},"x":"1\r\n2","z":"中"}', 'utf8');
    const got = onceWithin(driver, 'message');
    modem.send(Buffer.concat([Buffer.from(`\r\n+QMTRECV: 0,3,"${D}/commands/request_id=42",${body.length},"`), body, Buffer.from('"\r\n')]));
    const [idx, topic, payload] = await got;
    assert.equal(idx, 0);
    assert.equal(topic, `${D}/commands/request_id=42`);
    assert.deepEqual(payload, body);
  });

  it('+QMTSTAT on an open client is a linkDown with its meaning; on an unused index it is ignored', async () => {
    const { modem, driver } = await connected();
    const downs: [number, string][] = [];
    driver.on('linkDown', (i: number, r: string) => downs.push([i, r]));
    modem.send('\r\n+QMTSTAT: 3,1\r\n');
    const got = onceWithin(driver, 'linkDown');
    modem.send('\r\n+QMTSTAT: 0,1\r\n');
    const [idx, reason] = await got;
    assert.equal(idx, 0);
    assert.match(reason, /\+QMTSTAT: 0,1 .*duplicate/);
    assert.equal(downs.length, 1);
  });

  // The close that follows a refused CONNECT can come late, after the host reopened (PROTOCOLS P7).
  // Taken as real, it marked the new session closed and its next real drop was never reported.
  for (const when of ['while the next QMTCONN waits for its result', 'after the reconnect succeeded'] as const) {
    it(`a late +QMTSTAT: 0,3 of a refused connect ${when} is ignored; the next drop is a linkDown`, async () => {
      const { modem, driver, trace } = setup();
      modem.rule(/^AT\+QMTCONN=0,/, '\r\nOK\r\n\r\n+QMTCONN: 0,0,4\r\n', 1);
      await driver.open('iot.example.com', 1883, false);
      await assert.rejects(driver.connect('dev_0_0_2025041401', 'dev', 'wrong', 120, true), ModemError);
      await driver.open('iot.example.com', 1883, false);
      if (when === 'while the next QMTCONN waits for its result') {
        modem.rule(/^AT\+QMTCONN=0,/, (_m, md) => md.send('\r\nOK\r\n\r\n+QMTSTAT: 0,3\r\n\r\n+QMTCONN: 0,0,0\r\n'), 1);
        await driver.connect('dev_0_0_2025041401', 'dev', 'right', 120, true);
      } else {
        await driver.connect('dev_0_0_2025041401', 'dev', 'right', 120, true);
        modem.send('\r\n+QMTSTAT: 0,3\r\n');
      }
      const downs: string[] = [];
      driver.on('linkDown', (_i: number, r: string) => downs.push(r));
      const got = onceWithin(driver, 'linkDown');
      modem.send('\r\n+QMTSTAT: 0,1\r\n');
      const [idx, reason] = await got;
      assert.equal(idx, 0);
      assert.match(reason, /^\+QMTSTAT: 0,1 /);
      assert.deepEqual(downs, [reason], 'the stale 0,3 was not reported');
      assert.ok(trace.some((l) => /ignoring \+QMTSTAT: 0,3 from an earlier connect attempt/.test(l)), trace.join('\n'));
    });
  }

  it('two client indexes are independent sessions with their own message ids', async () => {
    const { modem, driver } = setup();
    const a = driver.session(0);
    const b = driver.session(1);
    assert.equal(driver.session(1), b, 'same object on the second call');
    await Promise.all([a.open('h1.example.com', 1883, false), b.open('h2.example.com', 1883, false)]);
    await a.connect({ clientId: 'a_0_0_2025041401', username: 'a', password: 'pa', keepalive: 120, cleanSession: true });
    await b.connect({ clientId: 'b_0_0_2025041401', username: 'b', password: 'pb', keepalive: 60, cleanSession: true });
    await Promise.all([a.publish('t/a', Buffer.from('1'), 1), b.publish('t/b', Buffer.from('2'), 1), a.publish('t/a', Buffer.from('3'), 1)]);
    const pubs = modem.lines.filter((l) => l.startsWith('AT+QMTPUB')).sort();
    assert.deepEqual(pubs, ['AT+QMTPUB=0,1,1,0,"t/a",1', 'AT+QMTPUB=0,2,1,0,"t/a",1', 'AT+QMTPUB=1,1,1,0,"t/b",1']);
    assert.ok(modem.lines.includes('AT+QMTCFG="keepalive",1,60'), 'per-index keepalive');
    const msgs: string[] = [];
    b.on('message', (t: string) => msgs.push(t));
    const got = onceWithin(b, 'message');
    modem.send('\r\n+QMTRECV: 1,0,"t/b",2,"hi"\r\n');
    await got;
    assert.deepEqual(msgs, ['t/b']);
    assert.throws(() => driver.session(6), /client index must be 0..5/);
  });
});

describe('BC26 driver (scripted modem)', () => {
  it('init turns sleep, PSM and eDRX off', async () => {
    const { modem, driver } = setup('bc26');
    await driver.init();
    for (const c of ['AT+QSCLK=0', 'AT+CPSMS=0', 'AT+CEDRXS=0']) assert.ok(modem.lines.includes(c), c);
  });

  // Issue 10 item 11, docs/models/bc26.md "Identity": the BC26 ATI prints `Quectel_BC26`.
  it('reads the model from the BC26 ATI line Quectel_BC26', async () => {
    const { modem, driver } = setup('bc26');
    modem.rule(/^ATI$/, '\r\nQuectel_Ltd\r\nQuectel_BC26\r\nRevision: BC26NBR01A10\r\n\r\nOK\r\n');
    const id = await driver.init();
    assert.equal(id.model, 'BC26');
    assert.equal(id.firmware, 'BC26NBR01A10');
  });

  // Issue 10 item 11, docs/models/bc26.md "Downlinks": Quectel's BC28 MQTT manual example.
  it('accepts +QMTRECV with spaces after the commas', async () => {
    const { modem, driver } = await connected('bc26');
    const got = onceWithin(driver, 'message');
    modem.send('\r\n+QMTRECV: 0,0, "topic/example", "This is the payload related to topic"\r\n');
    const [idx, topic, payload] = await got;
    assert.equal(idx, 0);
    assert.equal(topic, 'topic/example');
    assert.equal(payload.toString(), 'This is the payload related to topic');
  });

  it('TLS is refused clearly before anything is sent (no TLS on BC26)', async () => {
    const { modem, driver } = setup('bc26');
    await assert.rejects(driver.open('iot.example.com', 8883, true), /bc26 has no MQTT over TLS/);
    assert.equal(modem.lines.length, 0);
  });

  it('attach waits for CGATT and never sends QIACT', async () => {
    const { modem, driver } = setup('bc26');
    await driver.attachNetwork({ apn: 'ctnb' });
    assert.ok(modem.lines.includes('AT+QCGDEFCONT="IP","ctnb"'));
    assert.ok(modem.lines.includes('AT+CGATT?'));
    assert.ok(!modem.lines.some((l) => l.startsWith('AT+QIACT')));
  });

  it('sets MQTT 3.1.1 and falls back to 3.1 with a trace note when refused', async () => {
    const { modem, driver, trace } = setup('bc26');
    modem.rule(/^AT\+QMTCFG="version",0,4$/, '\r\nERROR\r\n');
    await driver.open('iot.example.com', 1883, false);
    assert.ok(modem.lines.includes('AT+QMTCFG="version",0,3'));
    assert.ok(trace.some((t) => t.startsWith('--') && /MQTT 3\.1/.test(t)), trace.join('\n'));
  });

  it('publishes JSON in form A ending with Ctrl-Z, and refuses raw control bytes before sending', async () => {
    const { modem, driver } = await connected('bc26');
    const json = Buffer.from(JSON.stringify({ text: 'line1\r\nline2 "q" 中文', n: 1 }));
    await driver.publish(`${D}/properties/report`, json, 1);
    assert.ok(modem.lines.includes(`AT+QMTPUB=0,1,1,0,"${D}/properties/report"`));
    assert.deepEqual(modem.prompted[0], json);
    const before = modem.lines.length;
    await assert.rejects(driver.publish(`${D}/x`, Buffer.from('a\r\nb'), 0), /CR \(0x0D\)/);
    await assert.rejects(driver.publish(`${D}/x`, Buffer.alloc(1025, 0x41), 0), /at most 1024/);
    assert.equal(modem.lines.length, before);
  });

  it('assembles +QMTRECV without a length across lines up to the last quote', async () => {
    const { modem, driver } = await connected('bc26');
    const got = onceWithin(driver, 'message');
    modem.send(`\r\n+QMTRECV: 0,1,"${D}/messages/down","{"a":"x,y",\r\n"b":2}"\r\n`);
    const [, topic, payload] = await got;
    assert.equal(topic, `${D}/messages/down`);
    assert.deepEqual(JSON.parse(payload.toString()), { a: 'x,y', b: 2 });
    const got2 = onceWithin(driver, 'message');
    modem.send(`\r\n+QMTRECV: 0,2,"${D}/messages/down","{"c":"3"}"\r\n`);
    assert.equal((await got2)[2].toString(), '{"c":"3"}');
  });
});
