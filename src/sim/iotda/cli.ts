#!/usr/bin/env node
/**
 * iotda-sim --devices devices.json --mqtt 1883 --http 8080 [--tls 8883] [--host 127.0.0.1]
 *           [--command-timeout 20000] [--token secret]
 * Without --devices it serves the examples' demo device (demo-device.ts); a --devices file must
 * exist ({"devices": []} starts empty), and devices added or removed in the console are saved to it.
 * Loopback by default: the emulator accepts any client that knows a device secret, so
 * exposing it beyond this host is an explicit choice (--host 0.0.0.0).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { DEMO_DEVICE } from './demo-device';
import { isLoopbackHost } from './http-access';
import type { DeviceSpec } from './device-registry';
import { startIotdaEmulator } from './index';

const USAGE = 'usage: iotda-sim [--devices devices.json] [--mqtt 1883] [--http 8080] [--tls 8883] [--host 127.0.0.1] [--command-timeout ms] [--token secret]';

function port(name: string, v: string | undefined, fallback: number | undefined): number | undefined {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} must be a port number 0-65535, got ${v}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      devices: { type: 'string' },
      mqtt: { type: 'string' },
      http: { type: 'string' },
      tls: { type: 'string' },
      host: { type: 'string' },
      'command-timeout': { type: 'string' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  // A mistyped path must not start an emulator that silently knows no device.
  if (values.devices !== undefined && !fs.existsSync(values.devices)) {
    throw new Error(`devices file ${values.devices} does not exist; create it (e.g. {"devices": []}) or leave --devices out to serve the examples' demo device`);
  }
  // Without a devices file the emulator serves the device every example uses.
  const devices: DeviceSpec[] | undefined = values.devices === undefined ? [{ ...DEMO_DEVICE, services: [...DEMO_DEVICE.services] }] : undefined;
  const host = values.host ?? '127.0.0.1';
  // Reachable from other hosts: the HTTP API needs a token (one is made up when none is given).
  const token = values.token ?? (isLoopbackHost(host) ? undefined : crypto.randomBytes(16).toString('hex'));
  const emu = await startIotdaEmulator({
    host,
    httpToken: token,
    mqttPort: port('mqtt', values.mqtt, 1883),
    httpPort: port('http', values.http, 8080),
    tlsPort: port('tls', values.tls, undefined),
    devicesFile: values.devices,
    devices,
    commandTimeoutMs: values['command-timeout'] ? Number(values['command-timeout']) : undefined,
    log: (line) => console.log(`${new Date().toISOString()} ${line}`),
  });
  if (devices) {
    console.log(`iotda-sim: no --devices file: serving the examples' demo device ${DEMO_DEVICE.deviceId} (secret ${DEMO_DEVICE.secret}); add or remove devices in the console`);
  }
  console.log(`iotda-sim: ${emu.listDevices().length} device(s); console ${emu.url}`);
  if (token && !isLoopbackHost(host)) console.log(`iotda-sim: HTTP API token ${token}; open the console at ${emu.url}#token=${token}`);
  if (emu.caCertPath) console.log(`iotda-sim: trust the CA certificate at ${emu.caCertPath} (also served at ${emu.url}api/ca.pem)`);
  const stop = () => {
    emu.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`iotda-sim: ${(err as Error).message}\n${USAGE}`);
  process.exit(1);
});
