/**
 * The fault campaign (issue 11): QoS 1 property reports through the real link, the real driver
 * and an emulated modem to the IoTDA emulator, while faults are injected at random: modem
 * reboot, link drop from the modem side, the broker closing the connection (a newer connection
 * of the same device), a broker restart, busy, ERROR, noise bytes, an answer delay past the
 * command timeout, a hung modem (mute), port loss and return; plus, in the middle, a full
 * redeploy (the old link hands its queue to a new one, as mqtt-at-connect does) and a restart
 * (the old process stops dead; the new one reads the queue store the old one left).
 *
 * The command timeouts are shortened (a profile that extends the model's), so a hang or a late
 * answer costs seconds, not the minutes the real modems allow; the behaviour under test is the
 * same.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { LinkSupervisor } from '../../dist/link/link-supervisor';
import { ModemSupervisor } from '../../dist/link/modem-supervisor';
import { QueueStore } from '../../dist/link/queue-store';
import type { QueuedPublish } from '../../dist/link/offline-queue';
import { iotdaCredentials } from '../../dist/iotda/credentials';
import { loadProfile } from '../../dist/modems/load-profile';
import { createModemDriver } from '../../dist/modems/generic-driver';
import { createModemEmulator, type ModemEmulator } from '../../dist/sim/modems';
import { startIotdaEmulator, type IotdaEmulator } from '../../dist/sim/iotda';
import { StreamTransport } from '../modems/stream-transport';

export type SoakModel = 'ec20' | 'bc26' | 'esp8266';

export const FAULTS = ['reboot', 'drop', 'broker-close', 'broker-restart', 'busy', 'error', 'noise', 'delay', 'mute', 'port-loss'] as const;
export type Fault = (typeof FAULTS)[number];

export interface CampaignOptions {
  model: SoakModel;
  reports: number;
  /** Reports offered per second by the "sensor" (default 20). */
  offerRate?: number;
  /** Mean time between faults (default 1500 ms). */
  faultEveryMs?: number;
  /** Each fault at least this many times (default 1): faults go on after the last report is offered until then. */
  faultRounds?: number;
  /** A full redeploy and a restart in the middle (default true). */
  redeployAndRestart?: boolean;
  /** Give up waiting for the last reports after this long (default 120 s). */
  drainTimeoutMs?: number;
  log?: (text: string) => void;
}

export interface CampaignFigures {
  model: SoakModel;
  sent: number;
  receivedUnique: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  rejected: Record<string, number>;
  faults: Record<string, number>;
  redeploys: number;
  restarts: number;
  peakRssMb: number;
  seconds: number;
}

const DEVICE = 'soak_product_dev01';
const SECRET = 'soak-secret-0001';
const UP = `$oc/devices/${DEVICE}/sys/properties/report`;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One "process": a queue store, a modem supervisor and a link, as a deployed mqtt-at-connect holds them. */
interface Generation {
  store: QueueStore;
  modem: ModemSupervisor;
  link: LinkSupervisor;
}

export async function runCampaign(opts: CampaignOptions): Promise<CampaignFigures> {
  const log = opts.log ?? (() => undefined);
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iotda-at-soak-'));
  const storeFile = path.join(dir, 'c1.jsonl');
  let emu: IotdaEmulator = await startIotdaEmulator({ host: '127.0.0.1', mqttPort: 0, httpPort: 0, devices: [{ deviceId: DEVICE, secret: SECRET }], log: () => undefined });
  const brokerPort = emu.mqttPort;
  const modemEmu: ModemEmulator = createModemEmulator({
    model: opts.model,
    baudRate: 0,
    bootDelayMs: 0,
    resolveBroker: () => ({ host: '127.0.0.1', port: brokerPort }),
    ...(opts.model === 'esp8266' ? { wifiNetworks: [{ ssid: 'soak-wifi', password: 'soak-wifi-pass' }] } : {}),
  });
  const profile = loadProfile({
    extends: opts.model,
    name: `${opts.model}-soak`,
    timeouts: { default: 1500, csq: 800, mqttPublish: 2500, mqttConnect: 4000, mqttOpen: 4000, mqttSubscribe: 3000, mqttDisconnect: 2000, mqttClose: 2000 },
  });

  const arrivals: number[] = [];
  const watch = (e: IotdaEmulator) =>
    e.onEvent((ev) => {
      if (ev.type !== 'report') return;
      const seq = (ev.services as { properties: { seq?: number } }[] | undefined)?.[0]?.properties?.seq;
      if (typeof seq === 'number') arrivals.push(seq);
    });
  let unwatch = watch(emu);

  const generation = (): Generation => {
    const store = new QueueStore(storeFile, (t) => log(`store: ${t}`));
    const modem = new ModemSupervisor({
      createDriver: () => createModemDriver(new StreamTransport(modemEmu.createHostStream(), `sim:${opts.model}`), profile),
      attach: opts.model === 'esp8266' ? { wifiSsid: 'soak-wifi', wifiPassword: 'soak-wifi-pass' } : { apn: '' },
    });
    const link = new LinkSupervisor({
      modem,
      store,
      host: '127.0.0.1',
      port: brokerPort,
      deviceId: DEVICE,
      secret: SECRET,
      reconnectFloorMs: 100,
      reconnectCeilingMs: 1000,
      probeIntervalMs: 1000,
      publishRetryMs: 200,
      // Faults come every second or two: a report may meet several. A real poison report is the
      // attempt cap's job; a soak must show that transient faults reject nothing.
      maxAttempts: 50,
      log: (level, text) => level !== 'debug' && log(`link ${level}: ${text}`),
    });
    link.connect();
    return { store, modem, link };
  };

  let gen = generation();
  const rejected: Record<string, number> = {};
  const faults: Record<string, number> = {};
  let redeploys = 0;
  let restarts = 0;
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);

  const offer = (seq: number) => {
    const body = JSON.stringify({ services: [{ service_id: 'soak', properties: { seq } }] });
    gen.link.publish(UP, Buffer.from(body), 1, { owner: 'soak', queueSize: opts.reports + 10 }).then(
      () => undefined,
      (err: { code?: string; name?: string; kind?: string; message?: string }) => {
        const key = `${err?.name ?? 'Error'} ${err?.code ?? err?.kind ?? ''}: ${String(err?.message ?? err).slice(0, 120)}`;
        rejected[key] = (rejected[key] ?? 0) + 1;
        log(`rejected ${seq}: ${key}`);
      },
    );
  };

  const inject = async (fault: Fault) => {
    faults[fault] = (faults[fault] ?? 0) + 1;
    log(`fault: ${fault}`);
    const f = modemEmu.faults;
    switch (fault) {
      case 'reboot':
        return f.reboot();
      case 'drop':
        return f.dropLink(0);
      case 'busy':
        return f.busy(2);
      case 'error':
        return f.errorOnCommand(1);
      case 'noise':
        return f.noise(Buffer.from('\r\n\u0000\u00ff#@!garbage\u0007\r\n', 'latin1'));
      case 'delay':
        // Past the default command timeout (1.5 s) of the campaign's profile.
        f.delay(2000);
        await sleep(2200);
        return f.delay(0);
      case 'mute':
        f.mute(true);
        await sleep(2000);
        return f.mute(false);
      case 'port-loss':
        return f.closePort();
      case 'broker-close': {
        // The newest connection of a device wins: the platform closes the gateway's.
        const c = iotdaCredentials(DEVICE, SECRET);
        const other = mqtt.connect(`mqtt://127.0.0.1:${brokerPort}`, { clientId: c.clientId, username: c.username, password: c.password, reconnectPeriod: 0 });
        await new Promise<void>((resolve) => {
          other.once('connect', () => resolve());
          other.once('error', () => resolve());
          setTimeout(resolve, 2000);
        });
        other.end(true);
        return;
      }
      case 'broker-restart': {
        unwatch();
        await emu.close();
        await sleep(300);
        emu = await startIotdaEmulator({ host: '127.0.0.1', mqttPort: brokerPort, httpPort: 0, devices: [{ deviceId: DEVICE, secret: SECRET }], log: () => undefined });
        unwatch = watch(emu);
        return;
      }
    }
  };

  /** A full redeploy: the old connection stops (not removed) and hands its queue to the new one. */
  const redeploy = async () => {
    redeploys++;
    log('redeploy');
    const old = gen;
    await old.link.stop({ handOver: true });
    const items: QueuedPublish[] = old.link.takeQueue();
    old.store.close();
    await old.modem.close();
    gen = generation();
    gen.link.adopt(items);
  };

  /** A restart or power cut: the old process just ends; the new one reads the queue store. */
  const restart = async () => {
    restarts++;
    log('restart');
    const old = gen;
    old.store.close();
    await old.modem.close();
    // Its pending reports are the next process's now (from the store); nobody hears about them.
    await old.link.dispose({ handOver: true });
    gen = generation();
  };

  let offering = true;
  const faultLoop = (async () => {
    const every = opts.faultEveryMs ?? 1500;
    // Rounds of every fault in a random order, while reports are offered and until each fault
    // ran `faultRounds` times; then the backlog drains without faults.
    for (let round = 0; offering || round < (opts.faultRounds ?? 1); round++) {
      for (const fault of [...FAULTS].sort(() => Math.random() - 0.5)) {
        await sleep(every * (0.5 + Math.random()));
        await inject(fault);
      }
    }
  })();

  const interval = 1000 / (opts.offerRate ?? 20);
  const redeployAt = opts.redeployAndRestart === false ? -1 : Math.floor(opts.reports / 3);
  const restartAt = opts.redeployAndRestart === false ? -1 : Math.floor((2 * opts.reports) / 3);
  for (let seq = 0; seq < opts.reports; seq++) {
    if (seq === redeployAt) await redeploy();
    if (seq === restartAt) await restart();
    offer(seq);
    await sleep(interval);
  }
  offering = false;
  await faultLoop;
  const deadline = Date.now() + (opts.drainTimeoutMs ?? 120_000);
  const unique = () => new Set(arrivals).size;
  while (unique() < opts.reports && Date.now() < deadline) await sleep(100);
  clearInterval(rssTimer);
  await gen.link.dispose();
  gen.store.close();
  await gen.modem.close();
  await modemEmu.close();
  unwatch();
  await emu.close();
  fs.rmSync(dir, { recursive: true, force: true });

  const seen = new Set<number>();
  let outOfOrder = 0;
  let highest = -1;
  for (const seq of arrivals) {
    if (seen.has(seq)) continue;
    seen.add(seq);
    if (seq < highest) outOfOrder++;
    highest = Math.max(highest, seq);
  }
  return {
    model: opts.model,
    sent: opts.reports,
    receivedUnique: seen.size,
    lost: opts.reports - seen.size,
    duplicated: arrivals.length - seen.size,
    outOfOrder,
    rejected,
    faults,
    redeploys,
    restarts,
    peakRssMb: Math.round(peakRss / 1024 / 1024),
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

export function formatFigures(f: CampaignFigures): string {
  const rejected = Object.entries(f.rejected).map(([why, n]) => `${n} x ${why}`);
  const faults = Object.entries(f.faults).map(([k, n]) => `${k} ${n}`).join(', ');
  return [
    `${f.model}: sent ${f.sent}, received unique ${f.receivedUnique}, lost ${f.lost}, duplicated ${f.duplicated}, out of order ${f.outOfOrder}, rejected ${rejected.length ? rejected.join('; ') : 0}, peak RSS ${f.peakRssMb} MB, ${f.seconds} s`,
    `  faults: ${faults}; redeploys ${f.redeploys}, restarts ${f.restarts}`,
  ].join('\n');
}
