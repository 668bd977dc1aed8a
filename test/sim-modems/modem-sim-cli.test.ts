/** iotda-modem-sim: argument table, and the real CLI process serving an EC20 over TCP and a pty. */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { SerialPort } from 'serialport';
import net from 'node:net';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseModemSimArgs } from '../../dist/sim/modems/cli-args';
import { ScriptedHost } from './scripted-host';
import { onceWithin } from '../modems/event-deadline';

const CLI = path.resolve(__dirname, '../../dist/sim/modems/cli.js');
const children: ChildProcess[] = [];

after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
});

describe('iotda-modem-sim arguments', () => {
  const good: [string[], Record<string, unknown>][] = [
    [['ec20', '--tcp', '7001'], { model: 'ec20', tcpPort: 7001, baudRate: 115200, strict: false }],
    [['bc26', '--pty', '/tmp/ttyBC26', '--baud', '9600', '--strict'], { model: 'bc26', ptyPath: '/tmp/ttyBC26', baudRate: 9600, strict: true }],
    [['esp8266', '--tcp', '0', '--broker', 'localhost:1883'], { model: 'esp8266', tcpPort: 0, baudRate: 115200, strict: false, broker: { host: 'localhost', port: 1883 } }],
    [['esp8266', '--tcp', '0', '--esp-firmware', '1.7.4.0'], { model: 'esp8266', tcpPort: 0, baudRate: 115200, strict: false, espFirmware: '1.7.4.0' }],
    [
      ['ec20', '--tcp', '0', '--host-interface', 'uart', '--sim', 'data-only', '--quectel-firmware', 'legacy', '--power-on-at-open'],
      { model: 'ec20', tcpPort: 0, baudRate: 115200, strict: false, hostInterface: 'uart', sim: 'data-only', quectelFirmware: 'legacy', powerOnAtPortOpen: true },
    ],
  ];
  for (const [argv, want] of good) {
    it(`parses ${argv.join(' ')}`, () => assert.deepEqual(parseModemSimArgs(argv), want));
  }
  const bad: string[][] = [['bg96', '--tcp', '1'], ['ec20'], ['ec20', '--tcp', 'x'], ['ec20', '--tcp', '1', '--bogus'], ['ec20', '--broker', 'nohost'],
    ['esp8266', '--tcp', '0', '--esp-firmware', '3.0.0.0'], ['esp8266', '--tcp', '0', '--esp-firmware'], ['ec20', '--tcp', '0', '--esp-firmware', '2.2.0.0'],
    ['ec20', '--tcp', '0', '--host-interface', 'pcie'], ['esp8266', '--tcp', '0', '--sim', 'data-only'], ['bc26', '--tcp', '0', '--quectel-firmware', 'old']];
  for (const argv of bad) {
    it(`rejects ${argv.join(' ')}`, () => assert.throws(() => parseModemSimArgs(argv)));
  }
});

async function startCli(args: string[]): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    lines.push(...parts);
    child.emit('line');
  });
  child.stderr!.resume();
  return { child, lines };
}

async function waitLine(cli: { child: ChildProcess; lines: string[] }, re: RegExp): Promise<RegExpExecArray> {
  for (;;) {
    for (const l of cli.lines) {
      const m = re.exec(l);
      if (m) return m;
    }
    await onceWithin(cli.child, 'line');
  }
}

describe('iotda-modem-sim process', () => {
  it('serves an EC20 on --tcp and stops on SIGTERM', async () => {
    const cli = await startCli(['ec20', '--tcp', '0', '--baud', '0', '--boot-delay', '5']);
    const m = await waitLine(cli, /listening on tcp:\/\/127\.0\.0\.1:(\d+)/);
    const socket = net.connect(Number(m[1]), '127.0.0.1');
    const host = new ScriptedHost(socket);
    await host.skipPast('\r\nRDY\r\n');
    await host.skipPast('+QIND: PB DONE\r\n');
    await host.cmd('AT', 'AT\r\r\nOK\r\n');
    socket.destroy();
    cli.child.kill('SIGTERM');
    const [code] = (await onceWithin(cli.child, 'exit')) as [number | null];
    assert.equal(code, 0);
  });

  it('creates a pty with socat that answers like a serial port', { skip: !existsSync('/usr/bin/socat') && 'socat not installed' }, async () => {
    const link = `/tmp/iotda-modem-sim-test-${process.pid}`;
    const cli = await startCli(['bc26', '--pty', link, '--baud', '0', '--boot-delay', '300']);
    await waitLine(cli, /emulator on /);
    assert.ok(existsSync(link), 'the pty path exists once the CLI announces it');
    // The pty is opened the way a user's flow opens a USB modem: the real serialport stream.
    const port = new SerialPort({ path: link, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    try {
      const host = new ScriptedHost(port);
      await host.skipPast('+CPIN: READY\r\n');
      host.write('AT+CEREG?\r');
      await host.skipPast('+CEREG: 0,1\r\n\r\nOK\r\n');
    } finally {
      // Close our side before socat goes, or the pending read keeps the process alive.
      await new Promise<void>((resolve) => port.close(() => resolve()));
    }
    cli.child.kill('SIGTERM');
    await onceWithin(cli.child, 'exit');
  });
});

// Issue 13 item 6: real --help, and --baud paces host->modem bytes too, as a UART does.
describe('iotda-modem-sim --help and --baud (issue 13 item 6)', () => {
  const OPTIONS = ['--tcp', '--pty', '--baud', '--strict', '--boot-delay', '--broker', '--esp-firmware', '--host-interface', '--sim',
    '--quectel-firmware', '--power-on-at-open', '--help'];

  for (const argv of [['--help'], ['-h'], ['ec20', '--help']]) {
    it(`iotda-modem-sim ${argv.join(' ')} prints every option and an example, exit 0`, () => {
      const run = spawnSync(process.execPath, [CLI, ...argv], { encoding: 'utf8', timeout: 15000 });
      assert.equal(run.status, 0, run.stderr);
      for (const option of OPTIONS) assert.ok(run.stdout.includes(option), `help names ${option}`);
      assert.match(run.stdout, /Examples:[\s\S]*\n  iotda-modem-sim ec20 --tcp \d+/);
      // Every option the help names is one the parser takes (no stale help).
      for (const option of new Set(run.stdout.match(/--[a-z][a-z-]+/g))) {
        if (option === '--help') continue;
        try {
          parseModemSimArgs(['esp8266', '--tcp', '0', option, option === '--esp-firmware' ? '2.2.0.0' : '1']);
        } catch (err) {
          assert.ok(!String(err).includes(`unknown option ${option}`), `${option} from the help is parsed`);
        }
      }
    });
  }

  it('--baud 9600 paces host->modem bytes: a 480-byte command is answered only after its 0.5 s on the wire', async () => {
    const cli = await startCli(['ec20', '--tcp', '0', '--baud', '9600', '--boot-delay', '5']);
    const m = await waitLine(cli, /listening on tcp:\/\/127\.0\.0\.1:(\d+)/);
    const socket = net.connect(Number(m[1]), '127.0.0.1');
    const host = new ScriptedHost(socket);
    await host.skipPast('+QIND: PB DONE\r\n');
    await host.cmd('ATE0', 'ATE0\r\r\nOK\r\n');
    // Echo is off: the answer is a few bytes, so only the command's own time on the wire
    // (480 bytes x 10 bits at 9600 bit/s = 500 ms) can make it late.
    const command = `AT+${'Z'.repeat(476)}\r`;
    const started = performance.now();
    host.write(command);
    await host.skipPast('ERROR\r\n');
    const elapsed = performance.now() - started;
    const wireMs = (command.length * 10 * 1000) / 9600;
    assert.ok(elapsed >= wireMs * 0.8, `answered after ${elapsed.toFixed(0)} ms; the command alone needs ${wireMs.toFixed(0)} ms on the wire`);
    socket.destroy();
    cli.child.kill('SIGTERM');
    await onceWithin(cli.child, 'exit');
  });
});
