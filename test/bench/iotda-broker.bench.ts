/**
 * Cost of the Huawei layer: 100 MQTT.js devices send a fixed number of QoS 1 property
 * reports through the IoTDA emulator, and the same load through a plain aedes broker.
 * Printed as a ratio against the plain broker measured in the same run (target ≤ 20 % cost).
 */
import * as net from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { startIotdaEmulator } from '../../dist/sim/iotda';
import { iotdaCredentials, IotdaTopics, buildPropertyReport } from '../../dist/iotda';

export const title = 'IoTDA emulator vs plain aedes: property reports from 100 devices';

const DEVICES = 100;
const REPORTS_PER_DEVICE = 100;
const ROUNDS = 3;

interface Target {
  url: string;
  /** Resolves once the broker side has processed `count` publishes. */
  processed(count: number): Promise<void>;
  close(): Promise<void>;
}

async function plainAedes(): Promise<Target> {
  const broker = await Aedes.createBroker();
  const server = net.createServer((s) => broker.handle(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  let seen = 0;
  let waiter: { count: number; resolve: () => void } | undefined;
  broker.on('publish', (_p, client) => {
    if (!client) return;
    seen++;
    if (waiter && seen >= waiter.count) waiter.resolve();
  });
  return {
    url: `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    processed: (count) => (seen >= count ? Promise.resolve() : new Promise((resolve) => (waiter = { count, resolve }))),
    close: async () => {
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function emulator(ids: string[]): Promise<Target> {
  const emu = await startIotdaEmulator({
    // The limits stay active (their bookkeeping is part of the cost) but high enough not to drop.
    uplinkMessagesPerSecond: 1_000_000,
    devices: ids.map((deviceId) => ({ deviceId, secret: `s-${deviceId}` })) });
  let seen = 0;
  let waiter: { count: number; resolve: () => void } | undefined;
  emu.on('report', () => {
    seen++;
    if (waiter && seen >= waiter.count) waiter.resolve();
  });
  return {
    url: emu.mqttUrl,
    processed: (count) => (seen >= count ? Promise.resolve() : new Promise((resolve) => (waiter = { count, resolve }))),
    close: () => emu.close(),
  };
}

async function load(target: Target, ids: string[]): Promise<number> {
  const clients: MqttClient[] = await Promise.all(
    ids.map((id) => {
      const c = iotdaCredentials(id, `s-${id}`);
      return mqtt.connectAsync(target.url, { clientId: c.clientId, username: c.username, password: c.password, keepalive: 120, reconnectPeriod: 0 });
    }),
  );
  const payloads = ids.map((id, i) => JSON.stringify(buildPropertyReport('Temperature', { value: i, device: id })));
  const start = process.hrtime.bigint();
  await Promise.all(
    clients.map(async (c, i) => {
      for (let n = 0; n < REPORTS_PER_DEVICE; n++) await c.publishAsync(IotdaTopics.propertiesReport(ids[i]), payloads[i], { qos: 1 });
    }),
  );
  await target.processed(DEVICES * REPORTS_PER_DEVICE);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await Promise.all(clients.map((c) => c.endAsync(true)));
  return (DEVICES * REPORTS_PER_DEVICE) / seconds;
}

export async function run(log: (line: string) => void): Promise<void> {
  const ids = Array.from({ length: DEVICES }, (_, i) => `bench_dev${i}`);
  let plainBest = 0;
  let huaweiBest = 0;
  // Alternate the two and keep each one's best round, so warm-up and GC noise hit both alike.
  for (let round = 0; round < ROUNDS; round++) {
    const plain = await plainAedes();
    plainBest = Math.max(plainBest, await load(plain, ids));
    await plain.close();
    const huawei = await emulator(ids);
    huaweiBest = Math.max(huaweiBest, await load(huawei, ids));
    await huawei.close();
  }
  const ratio = huaweiBest / plainBest;
  log(`${DEVICES} devices x ${REPORTS_PER_DEVICE} QoS 1 reports, best of ${ROUNDS} rounds`);
  log(`plain aedes (baseline): 1.00 (${plainBest.toFixed(0)} msg/s)`);
  log(`IoTDA emulator:         ${ratio.toFixed(2)} (${huaweiBest.toFixed(0)} msg/s); Huawei layer cost ${((1 - ratio) * 100).toFixed(0)} % (target <= 20 %)`);
}
