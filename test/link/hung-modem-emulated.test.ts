import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ModemSupervisor } from '../../dist/link/modem-supervisor';
import { loadProfile } from '../../dist/modems/load-profile';
import { createModemDriver } from '../../dist/modems/generic-driver';
import { createModemEmulator } from '../../dist/sim/modems';
import { DEVICE, closeEmulatedLink, emulatedLink, startBroker } from '../modems/emulator-harness';
import { EVENT_DEADLINE_MS } from '../modems/event-deadline';
import { StreamTransport } from '../modems/stream-transport';
import { reach } from './link-rig';

// Issue 11, third bullet, end to end: an EC20 that hangs (mute fault) in the middle of a
// backlog. The publish times out (transient: the report is kept), the AT channel finds the
// modem unresponsive, the link takes the modem for lost at once (no idle probe involved), and
// once the modem answers again every report is delivered. Short timeouts keep the test fast.

const UP = `$oc/devices/${DEVICE}/sys/properties/report`;

describe('hung EC20 during a backlog', () => {
  it('publish timeouts re-queue the reports, the modem is marked lost, and all reports arrive after it recovers', { timeout: EVENT_DEADLINE_MS * 3 }, async () => {
    const { broker, server, port } = await startBroker();
    const emulator = createModemEmulator({ model: 'ec20', baudRate: 0, bootDelayMs: 0, resolveBroker: () => ({ host: '127.0.0.1', port }) });
    const profile = loadProfile({ extends: 'ec20', name: 'ec20-fast-timeouts', timeouts: { default: 400, mqttPublish: 400, csq: 400 } });
    const modem = new ModemSupervisor({ createDriver: () => createModemDriver(new StreamTransport(emulator.createHostStream(), 'sim:ec20'), profile) });
    const lost: string[] = [];
    modem.on('lost', (reason: string) => lost.push(reason));
    const link = emulatedLink(modem, { reconnectFloorMs: 100, reconnectCeilingMs: 300, publishRetryMs: 50 });
    const received: string[] = [];
    (broker as unknown as import('node:events').EventEmitter).on('publish', (p: { topic: string; payload: Buffer }, c: unknown) => {
      if (c && p.topic === UP) received.push(p.payload.toString());
    });
    try {
      link.connect();
      await reach(link, 'online');
      emulator.faults.mute(true);
      const sent = Array.from({ length: 5 }, (_, i) => link.publish(UP, Buffer.from(`{"n":${i}}`), 1));
      const outcomes = Promise.allSettled(sent);
      await reach(link, 'backoff');
      assert.equal(lost.length, 1);
      assert.match(lost[0], /stopped answering/);
      emulator.faults.mute(false);
      const settled = await outcomes;
      assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
      assert.deepEqual([...new Set(received)], [0, 1, 2, 3, 4].map((n) => `{"n":${n}}`));
    } finally {
      await closeEmulatedLink({ link, modem, emulator, broker, server });
    }
  });
});
