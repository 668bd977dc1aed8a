/**
 * Sign type 1 without a trusted host clock (issue 14, item 2): over each emulated modem and the
 * IoTDA emulator, which checks sign type 1 against its own clock (the current UTC hour only),
 * the link signs with the network's time (NITZ, SNTP) when the host clock is a day wrong; with
 * no network time it signs with a sane host clock, and a wrong one fails with what to do.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { iotdaTimestamp } from '../../dist/iotda/credentials';
import { startIotdaEmulator, type IotdaEmulator } from '../../dist/sim/iotda';
import { createModemEmulator, type ModemEmulatorOptions } from '../../dist/sim/modems';
import { createModemDriver } from '../../dist/modems/generic-driver';
import { ModemSupervisor } from '../../dist/link/modem-supervisor';
import { LinkSupervisor, type LinkStatus } from '../../dist/link/link-supervisor';
import { EVENT_DEADLINE_MS, within } from '../modems/event-deadline';
import { StreamTransport } from '../modems/stream-transport';

const DEVICE = 'clockprod_dev01';
const SECRET = 'clock-secret-1';
const DAY_MS = 24 * 3_600_000;
const MODELS = ['ec20', 'bc26', 'esp8266'] as const;
type Model = (typeof MODELS)[number];

interface Run {
  status: LinkStatus;
  logs: string[];
}

describe('sign type 1 clock choice over emulated modems', () => {
  let iotda: IotdaEmulator;
  let mqttPort = 0;

  before(async () => {
    iotda = await startIotdaEmulator({ host: '127.0.0.1', mqttPort: 0, httpPort: 0, devices: [{ deviceId: DEVICE, secret: SECRET }], log: () => undefined });
    mqttPort = Number(new URL(iotda.mqttUrl).port);
  });
  after(async () => {
    await iotda.close();
  });

  /** Brings a sign type 1 link up (or until `until` accepts its status) and tears it down. */
  async function run(model: Model, hostClock: () => number, emu: Partial<ModemEmulatorOptions>, until: (s: LinkStatus) => boolean): Promise<Run> {
    const emulator = createModemEmulator({ model, baudRate: 0, strict: true, bootDelayMs: 0, resolveBroker: () => ({ host: '127.0.0.1', port: mqttPort }), ...emu });
    const modem = new ModemSupervisor({
      createDriver: () => createModemDriver(new StreamTransport(emulator.createHostStream(), `sim:${model}`, 0), model),
      attach: model === 'esp8266' ? { wifiSsid: 'clock-ap', wifiPassword: 'clock-pass' } : {},
    });
    const logs: string[] = [];
    const link = new LinkSupervisor({
      modem,
      host: 'iotda.example',
      port: 1883,
      deviceId: DEVICE,
      secret: SECRET,
      signType: 1,
      hostClock,
      reconnectFloorMs: 50,
      reconnectCeilingMs: 200,
      probeIntervalMs: 0,
      log: (level, text) => logs.push(`${level}: ${text}`),
    });
    try {
      const done = new Promise<LinkStatus>((resolve) => {
        link.on('status', (s: LinkStatus) => {
          if (until(s)) resolve(s);
        });
      });
      link.connect();
      const status = await within(done, `${model}: no matching link status; log: ${logs.join(' | ')}`, EVENT_DEADLINE_MS * 2);
      assert.deepEqual(emulator.violations, []);
      return { status, logs };
    } finally {
      await link.dispose();
      await modem.close();
      await emulator.close();
    }
  }

  const online = (s: LinkStatus) => s.state === 'online';

  for (const model of MODELS) {
    it(`${model}: host clock a day behind, network time: online, signed with the network clock`, { timeout: EVENT_DEADLINE_MS * 3 }, async () => {
      const r = await run(model, () => Date.now() - DAY_MS, {}, online);
      assert.equal(r.status.clock, 'network');
      // Signed with the real hour (what IoTDA's clock says), not the host's yesterday.
      assert.match(r.status.reason ?? '', new RegExp(`signed with the network clock \\((${iotdaTimestamp(new Date())}|${iotdaTimestamp(new Date(Date.now() - 60_000))})\\)`));
      assert.ok(r.logs.some((l) => /host clock .* differs from the network time .* by 1440 min/.test(l)), r.logs.join('\n'));
    });

    it(`${model}: no network time, sane host clock: online, signed with the host clock`, { timeout: EVENT_DEADLINE_MS * 3 }, async () => {
      const r = await run(model, Date.now, { networkClock: 'none' }, online);
      assert.equal(r.status.clock, 'host');
    });
  }

  it('ec20: host and network clocks agree: signed with the network clock, no skew notice', { timeout: EVENT_DEADLINE_MS * 3 }, async () => {
    const r = await run('ec20', Date.now, {}, online);
    assert.equal(r.status.clock, 'network');
    assert.ok(!r.logs.some((l) => /differs from the network time/.test(l)), 'no skew notice when both agree');
  });

  it('ec20: no network time, host clock a day wrong: IoTDA refuses (CONNACK 4) and the reason names the host clock', { timeout: EVENT_DEADLINE_MS * 3 }, async () => {
    const r = await run('ec20', () => Date.now() + DAY_MS, { networkClock: 'none' }, (s) => s.state === 'refused');
    assert.equal(r.status.connack, 4);
    assert.match(r.status.reason ?? '', /host clock .*set the host clock or use sign type 0/);
  });

  it('bc26: a network time eight hours off (a zone misread) is refused by IoTDA; a sane host clock signs the next attempt: online', { timeout: EVENT_DEADLINE_MS * 3 }, async () => {
    const r = await run('bc26', Date.now, { networkClock: () => Date.now() + 8 * 3_600_000 }, online);
    assert.equal(r.status.clock, 'host');
    assert.ok(r.logs.some((l) => /refused the login signed with the network time .*signing with the host clock/.test(l)), r.logs.join('\n'));
  });

  it('esp8266: no SNTP, host clock in 1970: the attempt fails saying to set the host clock or use sign type 0', { timeout: EVENT_DEADLINE_MS * 3 }, async () => {
    const r = await run('esp8266', () => 5_000, { networkClock: 'none' }, (s) => s.state === 'backoff');
    assert.match(r.status.reason ?? '', /^set the host clock \(NTP\) or use sign type 0: .*no network time and the host clock reads 1970-01-01T00:00:05\.000Z/);
  });
});
