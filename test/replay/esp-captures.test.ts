/**
 * Replay of the ESP-AT captures (test/captures/esp_at_*) through the real AtChannel, with the
 * options the ESP8266 driver gives it (boot banner `ready`, ROM-log garbage and echo after ATE0
 * as restart signs, busy retries), and through the real ESP downlink handlers
 * (src/modems/esp-downlinks.ts). Each line's kind is what the module meant, read from the capture.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { espDialect } from '../../dist/at/dialects';
import type { AtChannelOptions, AtCommandOptions } from '../../dist/at/types';
import { attachEspDownlinks } from '../../dist/modems/esp-downlinks';
import { ProfileCommands } from '../../dist/modems/profile-commands';
import { Esp8266Profile } from '../../dist/modems/profiles';
import { CHUNK_MODES } from '../at/modem-side';
import { replay, stripped, type Capture } from './replay-harness';

const ESP_CHANNEL: Partial<AtChannelOptions> = {
  dialect: espDialect,
  bootBanners: Esp8266Profile.bootBanners,
  rebootOnGarbage: true,
  echoOffCommand: 'ATE0',
};

function espOptions(command: string): Partial<AtCommandOptions> {
  const busy = { busyRetries: Esp8266Profile.busyRetries ?? 0 };
  if (command === 'AT+GMR') return { ...busy, responsePrefixes: ['AT version', 'SDK version', 'compile time', 'Bin version'] };
  if (command.startsWith('AT+CWJAP=')) return { ...busy, responsePrefixes: ['+CWJAP:'], errorFinals: ['FAIL'] };
  if (command === 'AT+CIPSTATUS') return { ...busy, responsePrefixes: ['STATUS:', '+CIPSTATUS:'] };
  const m = /^AT\+(\w+)(\?|=\?)?$/.exec(command);
  if (m !== null) return { ...busy, responsePrefixes: [`+${m[1]}:`] };
  return busy;
}

const plain = (line: string): string[] => (line.startsWith('#') ? [] : [line.trim()]);

const ESP_AT_1: Capture = {
  file: 'esp_at_1.txt',
  channel: ESP_CHANNEL,
  clean: plain,
  options: espOptions,
  expected: [
    ['ready', 'banner'],
    ['WIFI CONNECTED', 'urc'],
    ['WIFI GOT IP', 'urc'],
    ['+CIPSTA:ip:"172.20.10.4"', 'response'],
    ['+CIPSTA:gateway:"172.20.10.1"', 'response'],
    ['+CIPSTA:netmask:"255.255.255.240"', 'response'],
    ['OK', 'final'],
    ['+CWMODE:1', 'response'],
    ['OK', 'final'],
    ['OK', 'final'],
    ['OK', 'final'],
    ['ERROR', 'final'],
    ['WIFI CONNECTED', 'urc'],
    ['WIFI GOT IP', 'urc'],
    ['AT version:1.7.4.0(May 11 2020 19:13:04)', 'response'],
    ['SDK version:3.0.4(9532ceb)', 'response'],
    ['compile time:May 27 2020 10:12:17', 'response'],
    ['Bin version(Wroom 02):1.7.4', 'response'],
    ['OK', 'final'],
  ],
};

/** Author's notes: `---` rules, Spanish headings, `>>>` markers, indentation, ` - Timeout: ...` after a command. */
const ESP_AT_10: Capture = {
  file: 'esp_at_10.txt',
  channel: ESP_CHANNEL,
  clean: (line) => {
    if (line.startsWith('#') || /^-+$/.test(line) || /^\s*(Cuando|Si |Preguntarle)/.test(line)) return [];
    const text = line.replace(/^>>> /, '').trim();
    return [text.startsWith('AT') ? text.replace(/ - .*$/, '') : text];
  },
  options: espOptions,
  expected: [
    ['OK', 'final'],
    ['WIFI DISCONNECT', 'urc'],
    // The ROM log at 74880 baud: its readable line is the restart sign, the rest is stray text.
    ['ets Jan  8 2013,rst cause:2, boot mode:(3,6)', 'banner'],
    ['load 0x40100000, len 1396, room 16', 'stray'],
    ['tail 4', 'stray'],
    ['chksum 0x89', 'stray'],
    ['load 0x3ffe8000, len 776, room 4', 'stray'],
    ['tail 4', 'stray'],
    ['chksum 0xe8', 'stray'],
    ['load 0x3ffe8308, len 540, room 4', 'stray'],
    ['tail 8', 'stray'],
    ['chksum 0xc0', 'stray'],
    ['csum 0xc0', 'stray'],
    ['2nd boot version : 1.4(b1)', 'stray'],
    ['SPI Speed      : 40MHz', 'stray'],
    ['SPI Mode       : DIO', 'stray'],
    ['SPI Flash Size & Map: 8Mbit(512KB+512KB)', 'stray'],
    ['jump to run user1 @ 1000', 'stray'],
    ['.\u00f2..n\'t use rtc mem data', 'stray'],
    ['r0.\u00e6$.\u2019b.\u00cc\u00f7', 'stray'],
    ['Ai-Thinker Technology Co.,Ltd.', 'stray'],
    ['ready', 'banner'],
    ['WIFI CONNECTED', 'urc'],
    ['WIFI GOT IP', 'urc'],
    // AT+CWJAP failing (NonOS 1.x: +CWJAP:<code>, FAIL).
    ['WIFI CONNECTED', 'urc'],
    ['WIFI DISCONNECTED', 'urc'],
    ['+CWJAP:1', 'response'],
    ['FAIL', 'final'],
    ['WIFI CONNECTED', 'urc'],
    ['WIFI GOT IP', 'urc'],
    ['OK', 'final'],
    ['WIFI DISCONNECTED', 'urc'],
    ['WIFI CONNECTED', 'urc'],
    ['WIFI GOT IP', 'urc'],
    ['OK', 'final'],
    ['+CWJAP:"NISUTA-Home","00:13:33:ab:fb:d6",11,-68', 'response'],
    ['OK', 'final'],
    ['AT+CWQAP', 'echo'],
    ['WIFI DISCONNECT', 'urc'],
    ['OK', 'final'],
    ['OK', 'final'],
    ['AT+CWMODE?', 'echo'],
    ['+CWMODE:3', 'response'],
    ['OK', 'final'],
  ],
};

const ESP_AT_2: Capture = {
  file: 'esp_at_2.txt',
  channel: ESP_CHANNEL,
  clean: (line) => (line.startsWith('#') || /^\[\d\]/.test(line) || /^-+$/.test(line) ? [] : [line.trim()]),
  options: espOptions,
  expected: [
    ['OK', 'final'],
    ['OK', 'final'],
    ['+MQTTCONNECTED:0,1,"thingsboard.iotprojects.eu","9082","",0', 'urc'],
    ['OK', 'final'],
    ['+MQTTCONN:0,4,1,"thingsboard.iotprojects.eu","9082","",0', 'response'],
    ['OK', 'final'],
    ['+MQTTDISCONNECTED:0', 'urc'],
    ['ERROR', 'final'],
  ],
};

/** The last command of the capture shows no answer: it times out (and the channel resyncs). */
const ESP_AT_3: Capture = {
  file: 'esp_at_3.txt',
  channel: ESP_CHANNEL,
  clean: plain,
  options: espOptions,
  expected: [
    ['ERR CODE:0x01080002', 'urc'],
    ['ERR CODE:0x010a6044', 'urc'],
    ['ERROR', 'final'],
  ],
};

/** `» ` marks the host's lines, `« ` the module's (so `« AT...` is the echo); unmarked lines are the module's. */
const ESP_AT_4: Capture = {
  file: 'esp_at_4.txt',
  channel: ESP_CHANNEL,
  clean: (line) => (line.startsWith('#') ? [] : [line.replace(/^[»«] /, '').trim()]),
  options: espOptions,
  expected: [
    ['AT+SYSLOG=1', 'echo'],
    ['OK', 'final'],
    ['AT+CIPSNTPCFG=1,8,"ntp1.aliyun.com"', 'echo'],
    ['OK', 'final'],
    ['AT+CIPSNTPTIME?', 'echo'],
    ['+CIPSNTPTIME:Fri Jun  5 11:29:50 2020', 'response'],
    ['OK', 'final'],
    ['AT+MQTTUSERCFG=0,1,"23SI6PNSS9esp32","23SI6PNSS9esp32","hmacsha256",0,0,""', 'echo'],
    ['OK', 'final'],
    ['AT+MQTTCONN=0,"23SI6PNSS9.iotcloud.tencentdevices.com",1883,1', 'echo'],
    ['+MQTTDISCONNECTED:0', 'urc'],
    ['ERROR', 'final'],
    ['AT+MQTTCONN?', 'echo'],
    ['+MQTTCONN:0,2,1,"","","",0', 'response'],
    ['OK', 'final'],
  ],
};

/** The WiFiEspAT debug log: `esp> <line> ...<tag>`; `...sent` lines are the host's, the other `esp ...` lines its notes. */
const ESP_AT_5: Capture = {
  file: 'esp_at_5.txt',
  channel: ESP_CHANNEL,
  clean: (line) => {
    const m = /^esp> (.*?)(?: \.\.\.(?:sent|ignored|matched|error))?$/.exec(line);
    return m === null ? [] : [m[1].trim()];
  },
  options: espOptions,
  expected: [
    ['@', 'stray'],
    ['AT+RST', 'echo'],
    ['ERROR', 'final'],
    ['ATE0', 'echo'],
    ['OK', 'final'],
    ['OK', 'final'],
    ['OK', 'final'],
    ['OK', 'final'],
    ['+CWMODE:3', 'response'],
    ['OK', 'final'],
    ['WIFI DISCONNECT', 'urc'],
    ['?', 'stray'],
    ['busy p...', 'busy'],
    ['WIFI CONNECTED', 'urc'],
    ['?', 'stray'],
    ['busy p...', 'busy'],
    ['WIFI GOT IP', 'urc'],
    ['OK', 'final'],
    ['STATUS:2', 'response'],
    ['OK', 'final'],
  ],
};

const ESP_AT_6: Capture = {
  file: 'esp_at_6.txt',
  channel: ESP_CHANNEL,
  clean: (line) => {
    if (line.startsWith('#') || line.includes('<--')) return [];
    const text = stripped(line, /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] ?/);
    // The host library's own progress line, printed without its `<--` marker.
    return text === 'Connecting to the Internet with ESP8266' ? [] : [text];
  },
  options: espOptions,
  expected: [
    ['OK', 'stray'], // the answer to an AT the log does not show (the library's wake-up probe)
    ['AT', 'echo'],
    ['OK', 'final'],
    ['ATE0', 'echo'],
    ['OK', 'final'],
    ['OK', 'final'],
    ['OK', 'final'],
    ['OK', 'final'],
    ['WIFI CONNECTED', 'urc'],
    ['STATUS:1', 'response'],
    ['OK', 'final'],
    ['WIFI GOT IP', 'urc'],
  ],
};

const CAPTURES = [ESP_AT_1, ESP_AT_10, ESP_AT_2, ESP_AT_3, ESP_AT_4, ESP_AT_5, ESP_AT_6];

describe('replay: ESP-AT captures through the AT channel', () => {
  for (const capture of CAPTURES) {
    for (const mode of CHUNK_MODES) {
      it(`${capture.file} [${mode}]`, async () => {
        await replay(capture, mode);
      });
    }
  }
});

describe('replay: ESP-AT captures through the driver downlink handlers', () => {
  const DISCONNECTS: Record<string, number[]> = { 'esp_at_2.txt': [0], 'esp_at_4.txt': [0] };
  for (const capture of [ESP_AT_2, ESP_AT_4]) {
    for (const mode of CHUNK_MODES) {
      it(`${capture.file}: +MQTTDISCONNECTED reaches the driver [${mode}]`, async () => {
        const disconnected: number[] = [];
        await replay(capture, mode, {
          attach: (f) => {
            attachEspDownlinks(new ProfileCommands(f.channel, Esp8266Profile), {
              message: () => assert.fail('no downlink in this capture'),
              disconnected: (idx) => disconnected.push(idx),
            });
          },
        });
        assert.deepEqual(disconnected, DISCONNECTS[capture.file]);
      });
    }
  }
});
