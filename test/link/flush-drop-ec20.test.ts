import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ModemSupervisor } from '../../dist/link/modem-supervisor';
import { createModemEmulator } from '../../dist/sim/modems';
import { createModemDriver } from '../../dist/modems/generic-driver';
import { DEVICE, closeEmulatedLink, emulatedLink, startBroker } from '../modems/emulator-harness';
import { EVENT_DEADLINE_MS } from '../modems/event-deadline';
import { ReorderingTransport } from './reordering-transport';

// Issue 11, first bullet: the platform closes the connection in the middle of a 40-report QoS 1
// flush. The publish in flight fails (+QMTPUB: 0,<id>,2 or no PUBACK) and the modem refuses every
// following AT+QMTPUB with ERROR until its +QMTSTAT; which comes first is the modem's timing.
// Whatever the order: no report is rejected, and all 40 reach the platform after the reconnect.

const REPORTS = 40;
const UP = `$oc/devices/${DEVICE}/sys/properties/report`;

async function flushThroughDrop(order: 'refusals-first' | 'urc-first') {
  const { broker, server, port } = await startBroker();
  const emulator = createModemEmulator({ model: 'ec20', baudRate: 0, strict: true, bootDelayMs: 0, resolveBroker: () => ({ host: '127.0.0.1', port }) });
  let transport!: ReorderingTransport;
  /** The order in which the host saw refusals and the link-loss URC. */
  const seen: ('urc' | 'refusal')[] = [];
  const modem = new ModemSupervisor({
    createDriver: () => {
      transport = new ReorderingTransport(emulator.createHostStream(), 'sim:ec20');
      transport.on('line', (text: string) => {
        if (closedAfter && /^ERROR$|^\+QMTPUB: 0,\d+,[12]$|^\+QMTSTAT: 0,1$/.test(text)) seen.push(text.startsWith('+QMTSTAT') ? 'urc' : 'refusal');
      });
      return createModemDriver(transport, 'ec20');
    },
  });
  const link = emulatedLink(modem, { publishRetryMs: 100 });
  const received: number[] = [];
  let closedAfter = 0;
  const events = broker as unknown as import('node:events').EventEmitter;
  events.on('publish', (packet: { topic: string; payload: Buffer }, client: { id: string; close(): void } | null) => {
    if (!client || packet.topic !== UP) return;
    received.push(JSON.parse(packet.payload.toString()).services[0].properties.seq);
    // The platform closes the connection after the 8th report.
    if (received.length === 8 && !closedAfter) {
      closedAfter = 8;
      // The modem's order from now on: the link-loss URC only after two refusals, or the
      // refusals only after the link-loss URC.
      if (order === 'refusals-first') transport.hold(/^\+QMTSTAT: 0,1$/, /^ERROR$|^\+QMTPUB: 0,\d+,[12]$/, 2);
      else transport.hold(/^ERROR$|^\+QMTPUB: 0,\d+,[12]$/, /^\+QMTSTAT: 0,1$/);
      client.close();
    }
  });
  try {
    link.connect();
    await link.untilOnline();
    const outcomes = await Promise.allSettled(
      Array.from({ length: REPORTS }, (_, i) =>
        link.publish(UP, Buffer.from(JSON.stringify({ services: [{ service_id: 's', properties: { seq: i } }] })), 1),
      ),
    );
    const rejected = outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason));
    return { rejected, received, closedAfter, seen, violations: emulator.violations };
  } finally {
    await closeEmulatedLink({ link, modem, emulator, broker, server });
  }
}

describe('a drop during a QoS 1 flush over an emulated EC20', () => {
  for (const order of ['refusals-first', 'urc-first'] as const) {
    it(`${order}: no report rejected, all ${REPORTS} delivered after the reconnect, in order`, { timeout: EVENT_DEADLINE_MS * 3 }, async () => {
      const r = await flushThroughDrop(order);
      assert.equal(r.closedAfter, 8, 'the platform closed the connection mid-flush');
      assert.deepEqual(r.rejected, []);
      const unique = [...new Set(r.received)];
      assert.deepEqual(unique, Array.from({ length: REPORTS }, (_, i) => i), 'every report arrived, first copies in order');
      assert.ok(r.seen.includes('urc'), 'the modem reported the link loss');
      if (order === 'refusals-first') assert.equal(r.seen[0], 'refusal', `a refusal came before +QMTSTAT: ${r.seen}`);
      else assert.equal(r.seen[0], 'urc', `+QMTSTAT came before any refusal: ${r.seen}`);
      assert.deepEqual(r.violations, []);
    });
  }
});
