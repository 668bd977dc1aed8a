/**
 * ESP8266 test rig: the real driver and AT channel over the package's ESP8266 emulator
 * (strict mode), whose MQTT client talks to the IoTDA emulator on loopback. Used by the ESP
 * driver tests and the ESP matrix.
 */
import { startIotdaEmulator, type IotdaEmulator } from '../../dist/sim/iotda';
import { createModemEmulator, type Esp8266Emulator, type Esp8266EmulatorOptions } from '../../dist/sim/modems';
import { createModemDriver, type GenericModemDriver } from '../../dist/modems/generic-driver';
import { iotdaCredentials } from '../../dist/iotda/credentials';
import type { ModemProfile } from '../../dist/modems/profile';
import { once } from 'node:events';
import { after, afterEach, before } from 'node:test';
import { StreamTransport } from './stream-transport';
import { EVENT_DEADLINE_MS } from './event-deadline';

export const WIFI = { ssid: 'lab', password: 'wifi-secret' };

export interface EspRig {
  emulator: Esp8266Emulator;
  /** Resolves when the module's first boot is over (at once for a boot at port open). */
  up: Promise<void>;
  transport: StreamTransport;
  driver: GenericModemDriver;
  /** Driver trace lines (`>> AT...`, `<< ...`, `-- note`). */
  trace: string[];
  close(): Promise<void>;
}

export async function startIotda(deviceIds: string[]): Promise<IotdaEmulator> {
  return startIotdaEmulator({
    host: '127.0.0.1',
    mqttPort: 0,
    httpPort: 0,
    devices: deviceIds.map((deviceId) => ({ deviceId, secret: secretOf(deviceId) })),
    log: () => undefined,
  });
}

export function secretOf(deviceId: string): string {
  return `secret-of-${deviceId.length}`;
}

/** An emulated ESP8266 wired to `iotda` and a driver on its in-process serial pipe. */
export function espRig(iotda: IotdaEmulator, opts: Partial<Esp8266EmulatorOptions> = {}, profile: ModemProfile | 'esp8266' = 'esp8266'): EspRig {
  const emulator = createModemEmulator({
    model: 'esp8266',
    baudRate: 0,
    strict: true,
    bootDelayMs: 0,
    wifiNetworks: [WIFI],
    resolveBroker: () => ({ host: '127.0.0.1', port: iotda.mqttPort }),
    ...opts,
  } as Esp8266EmulatorOptions & { model: 'esp8266' });
  const transport = new StreamTransport(emulator.createHostStream(), 'sim:esp8266');
  // Unless the test asks for a boot as the port opens, the module was up long before.
  const up = opts.powerOnAtPortOpen ? Promise.resolve() : once(emulator, 'up', { signal: AbortSignal.timeout(EVENT_DEADLINE_MS) }).then(() => undefined);
  const trace: string[] = [];
  const driver = createModemDriver(transport, profile, { trace: (d, t) => trace.push(`${d} ${t}`) });
  return {
    emulator,
    up,
    transport,
    driver,
    trace,
    async close() {
      await driver.close().catch(() => undefined);
      await emulator.close();
    },
  };
}

/** init, Wi-Fi join, open and connect as `deviceId`, subscribe to its downlink topics. */
export async function bringUp(rig: EspRig, iotda: IotdaEmulator, deviceId: string): Promise<void> {
  await rig.up;
  await rig.driver.init();
  await rig.driver.attachNetwork({ wifiSsid: WIFI.ssid, wifiPassword: WIFI.password });
  await rig.driver.open('127.0.0.1', iotda.mqttPort, false);
  const c = iotdaCredentials(deviceId, secretOf(deviceId));
  await rig.driver.connect(c.clientId, c.username, c.password, 120, true);
  await rig.driver.subscribe(`$oc/devices/${deviceId}/sys/messages/down`, 1);
}

/** Command lines the host sent, as the emulator received them (without CR LF). */
export function sentLines(rig: EspRig): string[] {
  const text = Buffer.concat(rig.emulator.transcript.filter((t) => t.dir === 'in').map((t) => t.bytes)).toString('latin1');
  return text.split('\r\n').filter((l) => l.startsWith('AT'));
}

/** What the module sent so far, as text. */
export function moduleOutput(rig: EspRig): string {
  return Buffer.concat(rig.emulator.transcript.filter((t) => t.dir === 'out').map((t) => t.bytes)).toString('latin1');
}

/**
 * Hooks for a suite (call inside `describe`): one IoTDA emulator with these devices for the
 * suite, and every rig made through `rig()` closed after its test.
 */
export function espSuite(deviceIds: string[]): { iotda: () => IotdaEmulator; rig: (...args: RigArgs) => EspRig; track: (rig: EspRig) => EspRig } {
  let iotda: IotdaEmulator | undefined;
  let rigs: EspRig[] = [];
  before(async () => {
    iotda = await startIotda(deviceIds);
  });
  after(async () => {
    await iotda?.close();
  });
  afterEach(async () => {
    for (const r of rigs) await r.close();
    rigs = [];
  });
  const track = (rig: EspRig) => {
    rigs.push(rig);
    return rig;
  };
  return {
    iotda: () => iotda!,
    rig: (...args) => track(espRig(iotda!, ...args)),
    track,
  };
}

/** The arguments of espRig() after the IoTDA emulator. */
export type RigArgs = Parameters<typeof espRig> extends [unknown, ...infer R] ? R : never;
