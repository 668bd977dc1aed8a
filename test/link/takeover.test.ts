import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LinkSupervisor, type LinkStatus } from '../../dist/link/link-supervisor';
import { ModemSupervisor } from '../../dist/link/modem-supervisor';
import { createModemEmulator } from '../../dist/sim/modems';
import { createModemDriver } from '../../dist/modems/generic-driver';
import { startIotdaEmulator } from '../../dist/sim/iotda';
import { linkStatusView } from '../../dist/nodes/status-view';
import { TakeoverWatch } from '../../dist/link/takeover-watch';
import { within } from '../modems/event-deadline';
import { StreamTransport } from '../modems/stream-transport';
import { emulatedLink } from '../modems/emulator-harness';
import { translator } from './link-rig';

// Issue 13 item 2: IoTDA keeps the newest connection of a device (docs/iotda.md §1.8), so two
// connections with one device id knock each other off after every connect, for ever. Two links
// over two emulated EC20s on one device of the IoTDA emulator: one of them must notice the
// repeated take-overs, wait long before its next try and say why; the other then keeps the device.

const DEVICE = 'takeover_prod_dev01';
const SECRET = 'takeover-secret-01';
const LONG_WAIT_MS = 120_000;

describe('two connections on one device (issue 13 item 2)', () => {
  it('stop fighting after repeated take-overs: one side backs off long and says another connection uses the device', async () => {
    const emu = await startIotdaEmulator({ host: '127.0.0.1', mqttPort: 0, httpPort: 0, devices: [{ deviceId: DEVICE, secret: SECRET }], log: () => undefined });
    const parts: { link: LinkSupervisor; modem: ModemSupervisor; close(): Promise<void> }[] = [];
    const logs: string[] = [];
    try {
      for (const name of ['first', 'second']) {
        const emulator = createModemEmulator({ model: 'ec20', baudRate: 0, strict: true, bootDelayMs: 0, resolveBroker: () => ({ host: '127.0.0.1', port: emu.mqttPort }) });
        const modem = new ModemSupervisor({ createDriver: () => createModemDriver(new StreamTransport(emulator.createHostStream(), 'sim:ec20', 0), 'ec20') });
        const link = emulatedLink(modem, {
          deviceId: DEVICE,
          secret: SECRET,
          takeoverWindowMs: 5000,
          takeoverBackoffMs: LONG_WAIT_MS,
          log: (level, text) => logs.push(`${name} ${level} ${text}`),
        });
        parts.push({ link, modem, close: () => emulator.close() });
      }
      const [a, b] = parts.map((p) => p.link);
      const tookOver = new Promise<{ loser: LinkSupervisor; status: LinkStatus }>((resolve) => {
        for (const link of [a, b]) link.on('status', (s: LinkStatus) => s.takenOver && resolve({ loser: link, status: s }));
      });
      a.connect();
      await within(a.untilOnline(), 'the first link online');
      b.connect();
      const { loser, status } = await within(tookOver, 'a link that notices the take-overs');
      const winner = loser === a ? b : a;

      assert.equal(status.state, 'backoff');
      assert.equal(status.takenOver, DEVICE);
      assert.equal(status.retryInMs, LONG_WAIT_MS, 'the long wait, not the reconnect backoff');
      assert.match(status.reason ?? '', new RegExp(`another connection uses device ${DEVICE} \\(a second flow or gateway\\?\\)`));
      assert.ok(logs.some((l) => l.includes(`warn link online -> backoff (failure: another connection uses device ${DEVICE}`)), logs.join('\n'));

      // The other side keeps the device: it is online and stays so while the loser waits.
      await within(winner.untilOnline(), 'the other link online');
      const winnerDrops = (s: LinkStatus) => assert.notEqual(s.state, 'backoff', 'the winner is not knocked off again');
      winner.on('status', winnerDrops);
      await new Promise((r) => setTimeout(r, 1000));
      winner.off('status', winnerDrops);
      assert.equal(winner.state, 'online');
      assert.equal(loser.state, 'backoff');

      // The status bubble says it plainly, in both languages.
      for (const [lang, words] of [['en-US', `another connection uses device ${DEVICE} (a second flow or gateway?)`], ['zh-CN', `另一个连接正在使用设备 ${DEVICE}`]] as const) {
        const view = linkStatusView(loser.status, translator(lang), 3);
        assert.equal(view.fill, 'red');
        assert.ok(String(view.text).includes(words), `${lang}: ${view.text}`);
      }

      // A connect action (release()) tries again at once instead of waiting out the long wait.
      loser.release();
      assert.notEqual(loser.state, 'backoff');
    } finally {
      for (const p of parts) {
        await p.link.dispose();
        await p.modem.close();
        await p.close();
      }
      await emu.close();
    }
  });
});

describe('TakeoverWatch', () => {
  it('counts only drops soon after coming online, in a row; a lasting session or reset() starts again', () => {
    const w = new TakeoverWatch({ windowMs: 1000, inARow: 3 });
    const cycle = (onlineAt: number, droppedAt: number) => {
      w.online(onlineAt);
      return w.dropped(droppedAt);
    };
    assert.equal(cycle(0, 500), false);
    assert.equal(cycle(1000, 1500), false);
    assert.equal(cycle(2000, 5000), false, 'a session that lasted past the window is no take-over');
    assert.equal(w.count, 0);
    assert.equal(cycle(6000, 6100), false);
    assert.equal(cycle(7000, 7100), false);
    assert.equal(cycle(8000, 8100), true, 'the third quick drop in a row');
    assert.equal(cycle(9000, 9100), true, 'still fighting after the long wait');
    w.reset();
    assert.equal(cycle(10000, 10100), false);
    assert.equal(w.dropped(20000), false, 'a drop without a session online counts as no take-over');
    assert.equal(w.count, 0);
  });
});
