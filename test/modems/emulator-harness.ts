/**
 * Shared set-up for tests and the benchmark: a loopback aedes broker that checks the IoTDA
 * password like the platform, an emulated modem in strict mode wired to it, and the driver.
 */
import * as net from 'node:net';
import { Aedes } from 'aedes';
import { iotdaPassword } from '../../dist/iotda/credentials';
import { createModemEmulator, type ModemEmulator, type ModemEmulatorOptions } from '../../dist/sim/modems';
import { createModemDriver, type GenericModemDriver, type ModemDriverOptions } from '../../dist/modems/generic-driver';
import type { ModemProfile } from '../../dist/modems/profile';
import { LinkSupervisor, type LinkSupervisorOptions } from '../../dist/link/link-supervisor';
import type { ModemSupervisor } from '../../dist/link/modem-supervisor';
import { StreamTransport } from './stream-transport';

export const DEVICE = 'myprod_dev01';
export const SECRET = 'device-secret-1';
export const D = `$oc/devices/${DEVICE}/sys`;

export interface Harness {
  broker: Aedes;
  port: number;
  emulator: ModemEmulator;
  transport: StreamTransport;
  driver: GenericModemDriver;
  trace: string[];
  close(): Promise<void>;
}

export async function startBroker(): Promise<{ broker: Aedes; server: net.Server; port: number }> {
  const broker = await Aedes.createBroker({
    // IoTDA client ids are longer than MQTT 3.1's 23 bytes, and IoTDA takes them over 3.1 too
    // (the BC26 before its MQTT AN V1.1 speaks nothing else); as the IoTDA emulator does.
    maxClientsIdLength: 256,
    authenticate: (client, username, password, done) => {
      if (client.id === 'app') return done(null, true);
      const ts = /_(\d{10})$/.exec(client.id)?.[1] ?? '';
      const expected = iotdaPassword(SECRET, ts);
      if (username === DEVICE && password?.toString() === expected) return done(null, true);
      done(Object.assign(new Error('bad user name or password'), { returnCode: 4 }) as never, false);
    },
  });
  const server = net.createServer(broker.handle as never);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { broker, server, port: (server.address() as net.AddressInfo).port };
}

export async function startHarness(
  model: 'ec20' | 'bc26' | 'esp8266',
  emulatorOpts: Partial<ModemEmulatorOptions> = {},
  profile?: ModemProfile,
  driverOpts: ModemDriverOptions = {},
): Promise<Harness> {
  const { broker, server, port } = await startBroker();
  const emulator = createModemEmulator({
    model,
    baudRate: 0,
    strict: true,
    bootDelayMs: 0,
    resolveBroker: () => ({ host: '127.0.0.1', port }),
    ...emulatorOpts,
  });
  // Unpaced: the emulator paces both directions at its baud rate itself, as a UART does.
  const transport = new StreamTransport(emulator.createHostStream(), `sim:${model}`);
  const trace: string[] = [];
  const driver = createModemDriver(transport, profile ?? model, { trace: (d, t) => trace.push(`${d} ${t}`), ...driverOpts });
  return {
    broker,
    port,
    emulator,
    transport,
    driver,
    trace,
    async close() {
      await driver.close().catch(() => undefined);
      await emulator.close();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A LinkSupervisor over `modem` (whose drivers talk to an emulated modem) for the harness's
 * device: host iotda.example (the emulator resolves it to the broker), retries of 50-200 ms, no
 * idle probe. `overrides` replace any of these (another device, other timings, a log...).
 */
export function emulatedLink(modem: ModemSupervisor, overrides: Partial<Omit<LinkSupervisorOptions, 'modem'>> = {}): LinkSupervisor {
  return new LinkSupervisor({
    host: 'iotda.example',
    port: 1883,
    deviceId: DEVICE,
    secret: SECRET,
    reconnectFloorMs: 50,
    reconnectCeilingMs: 200,
    probeIntervalMs: 0,
    ...overrides,
    modem,
  });
}

/** Tears down an emulatedLink() test in order: the link, its modem supervisor, the emulator, the broker and its server. */
export async function closeEmulatedLink(parts: { link: LinkSupervisor; modem: ModemSupervisor; emulator: { close(): Promise<void> }; broker: Aedes; server: net.Server }): Promise<void> {
  await parts.link.dispose();
  await parts.modem.close();
  await parts.emulator.close();
  await new Promise<void>((resolve) => parts.broker.close(() => resolve()));
  await new Promise<void>((resolve) => parts.server.close(() => resolve()));
}
