import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Mustache from 'mustache';
import { builtInProfiles } from '../../dist/modems/profiles';
import { getProfile, loadProfile } from '../../dist/modems/load-profile';
import { checkPublish, maxPayloadFor, meaningOf } from '../../dist/modems/payload-check';
import { ModemError, PayloadRejectedError, ProfileError } from '../../dist/modems/errors';
import { ProfileCommands } from '../../dist/modems/profile-commands';

describe('built-in profiles', () => {
  for (const [name, profile] of Object.entries(builtInProfiles)) {
    it(`${name} validates and every template parses`, () => {
      assert.equal(loadProfile({ ...profile } as unknown as Record<string, unknown>).name, name);
      for (const tpl of Object.values(profile.commands)) assert.doesNotThrow(() => Mustache.parse(tpl));
    });
  }
});

describe('result tables', () => {
  const cases: [string, string, string | number, RegExp][] = [
    ['ec20', 'qmtopen', 2, /occupied/],
    ['ec20', 'qmtopen', -1, /network/],
    ['ec20', 'qmtopen', 4, /DNS/],
    ['ec20', 'connack', 4, /bad user name or password/],
    ['ec20', 'connack', 2, /identifier rejected/],
    ['ec20', 'qmtstat', 1, /duplicate/],
    ['ec20', 'cme', 10, /SIM not inserted/],
    ['ec20', 'cme', 561, /PDP/],
    ['bc26', 'connack', 5, /not authorised/],
    ['esp8266', 'cwjap', 2, /wrong password/],
    ['esp8266', 'cwjap', 3, /cannot find/],
    ['esp8266', 'mqttErr', '601C', /password too long/],
    ['esp8266', 'errCategory', '0B', /busy/],
    ['ec20', 'qmtopen', 99, /unknown code 99/],
  ];
  for (const [model, table, code, re] of cases) {
    it(`${model} ${table} ${code}`, () => assert.match(meaningOf(getProfile(model), table, code), re));
  }
});

describe('payload checks before sending', () => {
  const ec20 = getProfile('ec20');
  const bc26 = getProfile('bc26');
  const esp = getProfile('esp8266');
  const topic = '$oc/devices/myprod_dev01/sys/properties/report';
  const ok: [string, typeof ec20, Buffer][] = [
    ['EC20 carries CR LF, quotes, Ctrl-Z, NUL', ec20, Buffer.from('a"b,c\\d\r\n\u001a\u001b\u0000')],
    ['EC20 carries 1548 bytes', ec20, Buffer.alloc(1548, 0x41)],
    ['BC26 carries JSON with escaped control characters', bc26, Buffer.from(JSON.stringify({ t: 'a\r\nb\u001a"中文"' }))],
    ['BC26 carries 1024 bytes', bc26, Buffer.alloc(1024, 0x41)],
    ['ESP carries every byte value', esp, Buffer.from([0, 10, 13, 26, 27, 34, 44, 92])],
  ];
  for (const [name, profile, payload] of ok) it(name, () => assert.doesNotThrow(() => checkPublish(profile, topic, payload)));
  const bad: [string, typeof ec20, string, Buffer, RegExp][] = [
    ['EC20 over 1548 bytes', ec20, topic, Buffer.alloc(1549), /1549 bytes.*at most 1548/],
    ['BC26 over 1024 bytes', bc26, topic, Buffer.alloc(1025, 0x41), /at most 1024/],
    ['BC26 raw LF', bc26, topic, Buffer.from('a\nb'), /LF \(0x0A\) at offset 1/],
    ['BC26 Ctrl-Z', bc26, topic, Buffer.from('ab\u001a'), /Ctrl-Z/],
    ['BC26 ESC', bc26, topic, Buffer.from('\u001b'), /ESC/],
    ['BC26 NUL', bc26, topic, Buffer.from([0x41, 0]), /NUL/],
    ['ESP over the 512-byte MQTT buffer', esp, topic, Buffer.alloc(500, 0x41), /with this topic/],
    ['wildcard + in publish topic', ec20, '$oc/devices/+/x', Buffer.from('x'), /wildcards/],
    ['wildcard # in publish topic', esp, '$oc/#', Buffer.from('x'), /wildcards/],
    ['topic over 128 bytes', ec20, 'a'.repeat(129), Buffer.from('x'), /129 bytes/],
    ['topic of 43 Chinese characters (129 bytes)', ec20, '中'.repeat(43), Buffer.from('x'), /129 bytes/],
    ['lone surrogate in topic', ec20, 'a\ud800', Buffer.from('x'), /UTF-8/],
    ['empty payload', ec20, topic, Buffer.alloc(0), /empty/],
  ];
  for (const [name, profile, t, payload, re] of bad) {
    it(`refuses: ${name}`, () => {
      assert.throws(() => checkPublish(profile, t, payload), (err: unknown) => {
        assert.ok(err instanceof PayloadRejectedError);
        assert.ok(err instanceof ModemError);
        assert.equal(err.command, 'publish');
        assert.match(err.message, re);
        return true;
      });
    });
  }
  it('ESP payload budget shrinks with the topic and QoS', () => {
    assert.equal(maxPayloadFor(esp, 'ab', 0), 512 - (1 + 3 + 2 + 2));
    assert.equal(maxPayloadFor(esp, 'ab', 1), 512 - (1 + 3 + 2 + 2 + 2));
    assert.equal(maxPayloadFor(ec20, 'ab', 1), 1548);
  });
});

describe('loadProfile (custom profiles)', () => {
  it('extends ec20 into a BG96 with merged limits and commands', () => {
    const bg96 = loadProfile(JSON.stringify({
      extends: 'ec20',
      name: 'bg96',
      limits: { payloadBytes: 1548, topicBytes: 256 },
      commands: { urcPort: 'AT+QURCCFG="urcport","usbat"' },
      results: { cme: { '999': 'vendor specific' } },
    }));
    assert.equal(bg96.name, 'bg96');
    assert.equal(bg96.family, 'quectel');
    assert.equal(bg96.limits.topicBytes, 256);
    assert.equal(bg96.limits.hostBytes, 100, 'unspecified limits come from the base');
    assert.equal(bg96.commands.urcPort, 'AT+QURCCFG="urcport","usbat"');
    assert.equal(bg96.commands.mqttOpen, getProfile('ec20').commands.mqttOpen);
    assert.equal(bg96.results.cme['999'], 'vendor specific');
    assert.equal(bg96.results.cme['10'], 'SIM not inserted');
    assert.equal(getProfile('ec20').limits.topicBytes, 128, 'the base is not modified');
  });
  it('extends esp8266 into an ESP32 with a larger MQTT buffer', () => {
    const esp32 = loadProfile({ extends: 'esp8266', name: 'esp32', limits: { mqttBufferBytes: 1024 } });
    assert.equal(maxPayloadFor(esp32, 'ab', 0), 1024 - 8);
  });
  const errors: [string, unknown, RegExp][] = [
    ['invalid JSON', '{"extends": "ec20",', /not valid JSON/],
    ['an array', '[]', /must be a JSON object/],
    ['no name', { extends: 'ec20' }, /"name" is required/],
    ['unknown base', { extends: 'sim800', name: 'x' }, /unknown modem profile "sim800"/],
    ['unknown field', { extends: 'ec20', name: 'x', limit: {} }, /"limit" is not known/],
    ['bad name', { extends: 'ec20', name: 'BG 96' }, /field "name"/],
    ['negative limit', { extends: 'ec20', name: 'x', limits: { payloadBytes: -1 } }, /limits.payloadBytes/],
    ['command without AT', { extends: 'ec20', name: 'x', commands: { cpin: 'CPIN?' } }, /commands.cpin.*"AT"/],
    ['triple-brace template', { extends: 'ec20', name: 'x', commands: { apn: 'AT+QICSGP=1,1,"{{{apn}}}"' } }, /unescaped mustache/],
    ['broken template', { extends: 'ec20', name: 'x', commands: { apn: 'AT+X="{{#a}}"' } }, /not a valid mustache template/],
    ['bad regex', { extends: 'ec20', name: 'x', urcs: { status: '^(\\+QMTSTAT' } }, /urcs.status.*regex/],
    ['init step naming a missing command', { extends: 'ec20', name: 'x', init: [{ command: 'nope' }] }, /init\[0\].command/],
    ['a config step enabling an unknown capability', { extends: 'ec20', name: 'x', mqttConfig: [{ command: 'cfgRecvMode', enables: 'tls' }] }, /mqttConfig\[0\].enables/],
    ['raw publish on quectel', { extends: 'ec20', name: 'x', publish: { mode: 'raw' } }, /publish.mode/],
    ['refused byte out of range', { extends: 'bc26', name: 'x', publish: { refusedBytes: [256] } }, /refusedBytes\[0\]/],
    ['missing required command', { name: 'x', family: 'esp', dialect: 'esp', commands: {} }, /commands.echoOff.*required/],
    ['wifi attach on a profile without CWJAP', { extends: 'ec20', name: 'x', attach: { kind: 'wifi' } }, /commands.wifiMode.*attach.kind "wifi"/],
    // The family implements the attach procedure: an ESP-AT module has no cellular attach, even with the commands declared.
    [
      'cellular attach on the esp family',
      { extends: 'esp8266', name: 'x', commands: { cpin: 'AT+CPIN?', csq: 'AT+CSQ', apn: 'AT+CGDCONT=1,"IP","{{apn}}"', attachQuery: 'AT+CGATT?' }, attach: { kind: 'cellular-cgatt' } },
      /attach.kind.*"wifi" for the esp family/,
    ],
    ['response pattern that is not anchored', { extends: 'ec20', name: 'x', responses: { cpin: '\\+CPIN: (.+)' } }, /responses.cpin.*"\^"/],
  ];
  for (const [name, input, re] of errors) {
    it(`rejects ${name}`, () => {
      assert.throws(() => loadProfile(input as string), (err: unknown) => err instanceof ProfileError && re.test(err.message));
    });
  }
});

describe('ESP8266 rssi pattern (AT+CWJAP? answer)', () => {
  // ESP-AT 2.x: +CWJAP:<ssid>,<bssid>,<channel>,<rssi>,<pci_en>,<reconn_interval>,<listen_interval>,<scan_mode>,<pmf>.
  // The SSID is printed unescaped, so the rssi is the field counted after the BSSID, never from the start.
  const cases: [string, string, number | undefined][] = [
    ['documented 2.x answer', '+CWJAP:"ssid","c8:3a:35:0e:22:f1",6,-55,0,1,3,0,1', -55],
    ['short answer of older firmware', '+CWJAP:"lab","aa:bb:cc:dd:ee:ff",11,-72', -72],
    ['SSID with quotes, commas and digits', '+CWJAP:"lab "2.4G", 6,-1","AA:BB:CC:DD:EE:FF",1,-40,0,1,3,0,1', -40],
    ['SSID that looks like a BSSID field', '+CWJAP:"x","00:11:22:33:44:55",3,-9","c8:3a:35:0e:22:f1",13,-88,0,0,0,0,0', -88],
    ['positive rssi is still the rssi field', '+CWJAP:"s","c8:3a:35:0e:22:f1",6,0,0,1,3,0,1', 0],
    ['not joined', 'No AP', undefined],
    ['join failure code', '+CWJAP:2', undefined],
  ];
  const rssi = new RegExp(getProfile('esp8266').urcs.rssi);
  for (const [name, line, expected] of cases) {
    it(name, () => {
      const m = rssi.exec(line);
      assert.equal(m === null ? undefined : Number(m[1]), expected);
    });
  }
});

describe('awaited result URCs (ProfileCommands.awaitUrc)', () => {
  // The channel is not used to build the spec; awaitUrc only reads the profile.
  const cmds = (profile = getProfile('ec20')) => new ProfileCommands({} as never, profile);
  const LINES = ['+QMTPUB: 0,7,0', '+QMTPUB: 0,7,2,3', '+QMTPUB: 0,7,1', '+QMTPUB: 0,70,0', '+QMTPUB: 1,7,0', '+QMTPUB: 0,7', '+QMTSUB: 0,7,0'];

  it('one compiled pattern per URC kind; the message id is in the literal prefix', () => {
    const c = cmds();
    const a = c.awaitUrc('publish', { idx: 0, mid: 7 }, 1000);
    const b = c.awaitUrc('publish', { idx: 0, mid: 8 }, 1000);
    assert.equal(a.pattern, b.pattern);
    assert.equal(a.prefix, '+QMTPUB: 0,7,');
    assert.equal(b.prefix, '+QMTPUB: 0,8,');
    assert.equal(a.timeoutMs, 1000);
  });

  it('accepts exactly the lines the per-command pattern accepts, with the same groups', () => {
    const c = cmds();
    for (const name of ['publish', 'subscribe', 'open', 'connect']) {
      const spec = c.awaitUrc(name, { idx: 0, mid: 7 }, 1000);
      const exact = c.pattern(name, { idx: 0, mid: 7 });
      for (const line of [...LINES, '+QMTOPEN: 0,-1', '+QMTOPEN: 0,0', '+QMTCONN: 0,0,4', '+QMTCONN: 01,0']) {
        const viaSpec = line.startsWith(spec.prefix ?? '') ? spec.pattern.exec(line) : null;
        assert.deepEqual(viaSpec && [...viaSpec], exact.exec(line) && [...exact.exec(line)!], `${name} on ${line}`);
      }
    }
  });

  it('falls back to a pattern with the values when the prefix cannot pin a placeholder down', () => {
    const profile = loadProfile({ extends: 'ec20', name: 'odd', urcs: { publish: '^\\+QMTPUB: ({{idx}}|x),{{mid}}(\\d)' } });
    const spec = cmds(profile).awaitUrc('publish', { idx: 0, mid: 7 }, 1000);
    assert.equal(spec.prefix, undefined);
    assert.equal(spec.pattern.source, '^\\+QMTPUB: (0|x),7(\\d)');
  });
});
