#!/usr/bin/env node
/**
 * iotda-modem-sim: run an emulated EC20, BC26 or ESP8266 for a real driver or terminal.
 * `--tcp` serves the byte stream on loopback; `--pty` adds a pseudo-terminal through socat so
 * serial software (Node-RED's modem-config with a /dev path, minicom) can open it like a port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { MODEM_SIM_HELP, MODEM_SIM_USAGE, parseModemSimArgs, wantsHelp, type ModemSimCliOptions } from './cli-args';
import { createModemEmulator } from './index';

async function main(): Promise<void> {
  if (wantsHelp(process.argv.slice(2))) {
    process.stdout.write(`${MODEM_SIM_HELP}\n`);
    return;
  }
  let opts: ModemSimCliOptions;
  try {
    opts = parseModemSimArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${MODEM_SIM_USAGE}\n`);
    process.exit(2);
  }
  const broker = opts.broker;
  const emulator = createModemEmulator({
    model: opts.model,
    baudRate: opts.baudRate,
    strict: opts.strict,
    bootDelayMs: opts.bootDelayMs ?? 2000,
    resolveBroker: broker ? () => broker : undefined,
    espFirmware: opts.espFirmware,
    ...(opts.hostInterface ? { hostInterface: opts.hostInterface } : {}),
    ...(opts.sim ? { sim: opts.sim } : {}),
    ...(opts.quectelFirmware ? { quectelFirmware: opts.quectelFirmware } : {}),
    ...(opts.powerOnAtPortOpen ? { powerOnAtPortOpen: true } : {}),
  });
  emulator.on('violation', (text: string) => process.stderr.write(`violation: ${text}\n`));
  emulator.on('log', (text: string) => process.stderr.write(`${text}\n`));
  emulator.on('attached', () => process.stderr.write('host attached\n'));
  emulator.on('detached', () => process.stderr.write('host detached\n'));

  const port = await emulator.listenTcp(opts.tcpPort ?? 0, '127.0.0.1');
  process.stdout.write(`${opts.model} emulator listening on tcp://127.0.0.1:${port}\n`);

  let socat: ChildProcess | null = null;
  if (opts.ptyPath) {
    socat = spawn('socat', [`pty,raw,echo=0,link=${opts.ptyPath}`, `tcp:127.0.0.1:${port}`], { stdio: ['ignore', 'inherit', 'inherit'] });
    socat.on('error', (err) => {
      process.stderr.write(`cannot start socat (apt install socat): ${err.message}\n`);
      process.exit(1);
    });
    let announced = false;
    socat.on('exit', (code) => {
      process.stderr.write(`socat exited (${code ?? 'signal'})\n`);
      // Before the pty was announced nothing can use the emulator: fail instead of waiting.
      if (!announced) process.exit(1);
    });
    // socat creates the pty before it dials our listener, so once it is attached the path
    // exists: announce it only then, so a user (or a test) can open it at once.
    await new Promise<void>((resolve) => emulator.once('attached', () => resolve()));
    announced = true;
    process.stdout.write(`${opts.model} emulator on ${opts.ptyPath}\n`);
  }

  const stop = (): void => {
    socat?.kill('SIGTERM');
    void emulator.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
