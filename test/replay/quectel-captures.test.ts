/**
 * Replay of the Quectel captures (test/captures/quectel_*, bc26_*) through the real AtChannel and
 * the real Quectel downlink handlers (src/modems/quectel-downlinks.ts), whole, one byte at a time
 * and in random chunks. Each line's kind is what the module meant by it, read from the capture.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AtCommandOptions } from '../../dist/at/types';
import { ProfileCommands } from '../../dist/modems/profile-commands';
import { attachQuectelDownlinks } from '../../dist/modems/quectel-downlinks';
import { Bc26Profile, Ec20Profile } from '../../dist/modems/profiles';
import type { ModemProfile } from '../../dist/modems/profile';
import { CHUNK_MODES } from '../at/modem-side';
import { replay, stripped, type Capture } from './replay-harness';

/** Response prefixes for a query (`AT+X?`, `AT+X=?`, `AT+X`): `+X:`; set commands have none. */
function quectelOptions(command: string): Partial<AtCommandOptions> {
  // Identity commands answer a bare line (`BG770A-GL`): every line of the answer is the response.
  if (/^AT\+(CGMM|CGMR|GSN)$/.test(command)) return { responsePrefixes: [''] };
  const m = /^AT\+(\w+)(\?|=\?)?$/.exec(command) ?? /^AT\+(\w+)(=\?)$/.exec(command);
  if (m !== null) return { responsePrefixes: [`+${m[1]}:`] };
  return {};
}

const CTRL_Z = '\x1a';

/** Variable-length `AT+QMTPUB=<idx>,<mid>,<qos>,<retain>,"<topic>"` data ends with Ctrl-Z; the fixed-length form has none. */
function quectelPromptData(command: string, echoed: string): Buffer {
  const variable = /^AT\+QMTPUB=\d+,\d+,\d+,\d+,"[^"]*"$/.test(command);
  return Buffer.from(variable ? echoed + CTRL_Z : echoed, 'utf8');
}

const ARDUINO_STAMP = /^\d\d:\d\d:\d\d\.\d{3} -> ?/;

const BC26_1: Capture = {
  file: 'bc26_1.txt',
  channel: { bootBanners: Bc26Profile.bootBanners },
  clean: (line) => (line.startsWith('#') ? [] : [stripped(line, ARDUINO_STAMP)]),
  options: quectelOptions,
  expected: [
    ['OK', 'final'],
    ['+QMTOPEN: 0,0', 'result-urc'],
    ['OK', 'final'],
    ['+QMTCONN: 0,0,0', 'result-urc'],
    ['OK', 'final'],
    ['+QMTSUB: 0,1,0,2', 'result-urc'],
    ['OK', 'final'],
    ['+QMTPUB: 0,1,0', 'result-urc'],
    ['+QMTRECV: 0,1,"value","123"', 'urc'],
    ['OK', 'final'],
    ['+QMTDISC: 0,0', 'result-urc'],
    ['OK', 'final'],
    ['OK', 'final'],
    ['OK', 'final'],
  ],
};

/**
 * The BC28 manual example: `//` annotations (inline, on their own line, and wrapped onto
 * indented lines) and one broken heading starting with a single `/` are the manual's, not the module's.
 */
const BC26_2: Capture = {
  file: 'bc26_2.txt',
  channel: { bootBanners: Bc26Profile.bootBanners },
  clean: (line) => {
    if (line.startsWith('/') || /^\s{8,}/.test(line) || line.startsWith('<username>')) return [];
    return [line.replace(/\s+\/\/.*$/, '').trim()];
  },
  options: quectelOptions,
  promptData: quectelPromptData,
  expected: [
    ['OK', 'final'],
    ['+QMTOPEN: (0),<host_name>,<port>', 'response'],
    ['OK', 'final'],
    ['OK', 'final'],
    ['+QMTOPEN: 0,0', 'result-urc'],
    ['+QMTOPEN: 0,"iot-as-mqtt.cn-shanghai.aliyuncs.com",1883', 'response'],
    ['OK', 'final'],
    ['+QMTCONN: (0),<clientID>,<username>,<password>', 'response'],
    ['OK', 'final'],
    ['OK', 'final'],
    ['+QMTCONN: 0,0,0', 'result-urc'],
    ['+QMTSUB: (0),(1-65535),<topic>,(0-2)[,<topic>,(0-2)...]', 'response'],
    ['OK', 'final'],
    ['OK', 'final'],
    ['+QMTSUB: 0,1,0,2', 'result-urc'],
    ['OK', 'final'],
    ['+QMTSUB: 0,1,0,0', 'result-urc'],
    ['+QMTRECV: 0,0, "topic/example", "This is the payload related to topic"', 'urc'],
    ['OK', 'final'],
    ['+QMTUNS: 0,2,0', 'result-urc'],
    ['+QMTPUB: (0),(0-65535),(0-2),(0,1),<topic>,(1-1024)', 'response'],
    ['OK', 'final'],
    ['>', 'prompt'],
    ['这是测试数据, hello MQTT.', 'stray'], // the module's echo of the data typed after `>`
    ['OK', 'final'],
    ['+QMTPUB: 0,0,0', 'result-urc'],
    ['+QMTRECV: 0,0,"topic/pub",这是测试数据, hello MQTT.', 'urc'],
    ['OK', 'final'],
  ],
};

/**
 * BG770A log: each CR and each LF is printed as `.`, so a run of two or more dots is a line
 * break (single dots are text: `broker.emqx.io`). The logger prints what the module sent: each
 * command line there is its echo. Lines without a `[time]` are the script's own notes.
 */
const QUECTEL_1: Capture = {
  file: 'quectel_1.txt',
  channel: { bootBanners: Ec20Profile.bootBanners },
  clean: (line) => {
    const m = /^#\[\d\d:\d\d:\d\d\] (.*)$/.exec(line);
    if (m === null || !(m[1].startsWith('AT') || m[1].startsWith('..') || m[1].startsWith('Hello'))) return [];
    const parts = m[1].split(/\.{2,}/).map((p) => p.trim());
    // The command line as sent, then the same line as the module's echo.
    return parts[0].startsWith('AT') ? [parts[0], ...parts] : parts;
  },
  options: quectelOptions,
  promptData: quectelPromptData,
  expected: [
    ['AT', 'echo'], ['OK', 'final'],
    ['AT+CGMM', 'echo'], ['BG770A-GL', 'response'], ['OK', 'final'],
    ['AT+CGMR', 'echo'], ['BG770AGLAAR01A03', 'response'], ['OK', 'final'],
    ['AT+GSN', 'echo'], ['863593051995496', 'response'], ['OK', 'final'],
    ['AT+CMEE=2', 'echo'], ['OK', 'final'],
    ['AT+CPIN?', 'echo'], ['+CPIN: READY', 'response'], ['OK', 'final'],
    ['AT+CFUN=1', 'echo'], ['OK', 'final'],
    ['AT+CREG=0', 'echo'], ['OK', 'final'],
    ['AT+CSQ', 'echo'], ['+CSQ: 28,0', 'response'], ['OK', 'final'],
    ['AT+QCSQ', 'echo'], ['+QCSQ: "eMTC",-56,-78,210,-9', 'response'], ['OK', 'final'],
    ['AT+CEREG=0', 'echo'], ['OK', 'final'],
    ['AT+CEREG?', 'echo'], ['+CEREG: 0,5', 'response'], ['OK', 'final'],
    ['AT+QNWINFO', 'echo'], ['+QNWINFO: "eMTC","26202","LTE BAND 20",6300', 'response'], ['OK', 'final'],
    ['AT+QICSGP=1,1,"wsim","","",1', 'echo'], ['OK', 'final'],
    ['AT+QIACT=1', 'echo'], ['ERROR', 'final'],
    ['AT+QIACT?', 'echo'], ['+QIACT: 1,1,1,"10.3.118.130"', 'response'], ['OK', 'final'],
    ['AT+QMTOPEN=0,"broker.emqx.io",1883', 'echo'], ['OK', 'final'], ['+QMTOPEN: 0,0', 'result-urc'],
    ['AT+QMTOPEN?', 'echo'], ['+QMTOPEN: 0,"broker.emqx.io",1883', 'response'], ['OK', 'final'],
    ['AT+QMTCONN=0,"python-mqtt-176","finamon","<redacted>"', 'echo'], ['OK', 'final'], ['+QMTCONN: 0,0,0', 'result-urc'],
    ['AT+QMTPUB=0,1,1,0,"qf4dcfae.eu-central-1.emqx.cloud",33', 'echo'], ['>', 'prompt'],
    ['Hello MQTT from GPS-4G-HAT shield', 'stray'], // the module's echo of the 33 data bytes
    ['OK', 'final'], ['+QMTPUB: 0,1,0', 'result-urc'],
    ['AT+QMTSUB=0,1,"qf4dcfae.eu-central-1.emqx.cloud",2', 'echo'], ['OK', 'final'], ['+QMTSUB: 0,1,0,2', 'result-urc'],
    ['+QMTRECV: 0,0,"qf4dcfae.eu-central-1.emqx.cloud","hello GPS-4G-HAT shield"', 'urc'],
    ['AT+QMTUNS=0,1,"qf4dcfae.eu-central-1.emqx.cloud"', 'echo'], ['OK', 'final'], ['+QMTUNS: 0,1,0', 'result-urc'],
    ['AT+QMTDISC=0', 'echo'], ['OK', 'final'], ['+QMTDISC: 0,0', 'result-urc'],
    ['AT+QICLOSE=0', 'echo'], ['OK', 'final'],
    ['AT+QIDEACT=1', 'echo'], ['OK', 'final'],
  ],
};

/**
 * EG25-G under NuttX: `Write command:`/`Command:` lines are the host's commands; `Response:`,
 * `//` notes, the shell lines and `Open /dev/ttyS1` are the author's. The first AT meets a
 * booting module (RDY), the next ones only boot URCs: the log shows no final for them.
 */
const QUECTEL_2: Capture = {
  file: 'quectel_2.txt',
  channel: { bootBanners: Ec20Profile.bootBanners },
  clean: (line) => {
    const command = /^(?:Write command|Command): (AT\S*?)(?:\\r)?$/.exec(line);
    if (command !== null) return [command[1]];
    if (line.startsWith('#') || line.startsWith('//') || line.startsWith('Open ') || line.startsWith('NuttShell') || line.startsWith('nsh>')) return [];
    if (line === 'Response:') return [];
    return [line.replace(/^Response: /, '').trim()];
  },
  options: quectelOptions,
  expected: [
    ['RDY', 'banner'],
    ['+CFUN: 1', 'urc'],
    ['+CPIN: READY', 'urc'],
    ['+QUSIM: 1', 'urc'],
    ['+QIND: SMS DONE', 'urc'],
    ['+QIND: PB DONE', 'urc'],
    ['AT', 'echo'],
    ['OK', 'final'],
    ['RDY', 'banner'],
    ['+CFUN: 1', 'urc'],
    ['+CPIN: READY', 'urc'],
    ['+QUSIM: 1', 'urc'],
    ['+QIND: SMS DONE', 'urc'],
    ['+CREG: 0,1', 'response'],
    ['+QIND: PB DONE', 'urc'],
    ['+COPS: 0,0,"SGP-M1",7', 'response'],
  ],
};

/** BG96 on a WIZnet shield: echo on (each command line is the module's echo), no blank line before an echoed command. */
const QUECTEL_3: Capture = {
  file: 'quectel_3.txt',
  channel: { bootBanners: Ec20Profile.bootBanners },
  clean: (line) => (line.startsWith('#') ? [] : line.startsWith('AT') ? [line.trim(), line.trim()] : [line.trim()]),
  options: quectelOptions,
  promptData: quectelPromptData,
  expected: [
    ['AT+QMTOPEN=0,"broker.hivemq.com",1883', 'echo'], ['OK', 'final'], ['+QMTOPEN: 0,0', 'result-urc'],
    ['AT+QMTCONN=0,"clientExample","testid","testpassword"', 'echo'], ['OK', 'final'], ['+QMTCONN: 0,0,0', 'result-urc'],
    ['AT+QMTPUB=0,0,0,0,"topic/openhouse-B"', 'echo'], ['>', 'prompt'],
    ['Hello IoT Open House', 'stray'], // the module's echo of the typed data
    ['OK', 'final'], ['+QMTPUB: 0,0,0', 'result-urc'],
    ['AT+QMTSUB=0,1,"topic/openhouse-A",2', 'echo'], ['OK', 'final'], ['+QMTSUB: 0,1,0,2', 'result-urc'],
    ['+QMTRECV: 0,0,"topic/openhouse-A","Hello WIZnet"', 'urc'],
    ['AT+QMTDISC=0', 'echo'], ['OK', 'final'], ['+QMTDISC: 0,0', 'result-urc'],
  ],
};

interface Downlink {
  topic: string;
  payload: string;
}

/** The downlinks each capture delivers, as the Quectel driver's handlers must hand them on. */
const DOWNLINKS: Record<string, { profile: ModemProfile; downlinks: Downlink[] }> = {
  'bc26_1.txt': { profile: Bc26Profile, downlinks: [{ topic: 'value', payload: '123' }] },
  'quectel_1.txt': { profile: Ec20Profile, downlinks: [{ topic: 'qf4dcfae.eu-central-1.emqx.cloud', payload: 'hello GPS-4G-HAT shield' }] },
  'quectel_3.txt': { profile: Ec20Profile, downlinks: [{ topic: 'topic/openhouse-A', payload: 'Hello WIZnet' }] },
  'bc26_2.txt': {
    profile: Bc26Profile,
    downlinks: [
      { topic: 'topic/example', payload: 'This is the payload related to topic' },
      { topic: 'topic/pub', payload: '这是测试数据, hello MQTT.' },
    ],
  },
};

describe('replay: Quectel captures through the AT channel', () => {
  for (const capture of [BC26_1, BC26_2, QUECTEL_1, QUECTEL_2, QUECTEL_3]) {
    for (const mode of CHUNK_MODES) {
      it(`${capture.file} [${mode}]`, async () => {
        await replay(capture, mode);
      });
    }
  }
});

describe('replay: Quectel captures through the driver downlink handlers', () => {
  for (const capture of [BC26_1, QUECTEL_1, QUECTEL_3, BC26_2]) {
    const { profile, downlinks } = DOWNLINKS[capture.file];
    // The BC28 manual's `+QMTRECV: 0,0, "topic", "payload"` (spaces after the commas) is missed by
    // the driver's pattern on this branch; the Quectel branch accepts the spaces (issue 10 item 11).
    const todo = capture.file === 'bc26_2.txt' ? 'driver: +QMTRECV with spaces after the commas (fixed on the quectel branch)' : undefined;
    for (const mode of CHUNK_MODES) {
      it(`${capture.file} downlinks [${mode}]`, { todo }, async () => {
        const got: Downlink[] = [];
        await replay(capture, mode, {
          attach: (f) => {
            attachQuectelDownlinks(new ProfileCommands(f.channel, profile), {
              message: (_idx, topic, payload) => got.push({ topic, payload: payload.toString('utf8') }),
              status: () => {},
            });
          },
        });
        assert.deepEqual(got, downlinks);
      });
    }
  }
});
