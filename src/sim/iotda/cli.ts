#!/usr/bin/env node
/**
 * iotda-sim: the local IoTDA emulator as a command (options and devices.json in HELP below).
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

const USAGE = 'usage: iotda-sim [--devices devices.json] [--mqtt 1883] [--http 8080] [--tls 8883] [--host 127.0.0.1] [--command-timeout ms] [--uplink-rate n] [--uplink-bytes n] [--token secret]; iotda-sim --help explains them';

const HELP = `iotda-sim: a local Huawei Cloud IoTDA emulator: an MQTT broker with the platform's device rules
(credentials, topics, limits), its HTTP API and a web console to watch devices and send commands.

usage: iotda-sim [options]

Options:
  --devices <file>          the devices the emulator knows (see below); without it, the examples'
                            demo device ${DEMO_DEVICE.deviceId} (secret ${DEMO_DEVICE.secret})
  --mqtt <port>             MQTT port (default 1883; 0 = any free port, printed at start)
  --http <port>             HTTP API and console port (default 8080)
  --tls <port>              also serve MQTTS on this port with a generated CA (path printed at start)
  --host <address>          address to listen on (default 127.0.0.1; 0.0.0.0 exposes the emulator,
                            which lets in anyone who knows a device secret)
  --command-timeout <ms>    how long a command or request waits for the device's answer (default 20000)
  --uplink-rate <n>         uplink messages per second and connection before the emulator drops them,
                            as the platform limits devices (default 50; 0 = no limit)
  --uplink-bytes <n>        uplink bytes per second and connection before drops (default 1048576; 0 = no limit)
  --token <secret>          require "Authorization: Bearer <secret>" on the HTTP API (made up and printed
                            with the console URL when listening beyond loopback)
  -h, --help                print this help and exit

devices.json: a JSON array of devices, or {"devices": [...]}. Each device:
  deviceId      the device id as IoTDA shows it, <product id>_<node id> (required)
  secret        the device secret (required)
  productId     the product the device belongs to
  services      declared service ids, e.g. ["stm32"] (informational: any service is accepted)
  customTopics  custom topic names under $oc/devices/<device id>/user/ the product declares
  frozen        true: the device is refused with CONNACK 5
The file must exist ({"devices": []} starts empty); devices added or removed in the console are
saved to it.

Example devices.json:
  {"devices": [{"deviceId": "myproduct_dev01", "secret": "my-secret-01", "productId": "myproduct",
                "services": ["stm32"], "customTopics": ["report"]}]}

Examples:
  iotda-sim                                       # the demo device, MQTT 1883, console http://127.0.0.1:8080/
  iotda-sim --devices devices.json --mqtt 1883 --http 8080 --tls 8883 --uplink-rate 10`;

/** A whole-number option, 0 or more; undefined when not given (the emulator default). */
function count(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number 0 or more, got ${v}`);
  return n;
}

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
      'uplink-rate': { type: 'string' },
      'uplink-bytes': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
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
    uplinkMessagesPerSecond: count('uplink-rate', values['uplink-rate']),
    uplinkBytesPerSecond: count('uplink-bytes', values['uplink-bytes']),
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
