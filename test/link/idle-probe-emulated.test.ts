import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ModemSupervisor } from '../../dist/link/modem-supervisor';
import { createModemEmulator } from '../../dist/sim/modems';
import type { ModemEmulatorBase } from '../../dist/sim/modems/emulator-base';
import { createModemDriver } from '../../dist/modems/generic-driver';
import { closeEmulatedLink, emulatedLink, startBroker } from '../modems/emulator-harness';
import { StreamTransport } from '../modems/stream-transport';
import { reach } from './link-rig';

// End to end: a real driver over an emulated EC20 that hangs (mute fault), a real MQTT broker
// that checks the IoTDA password. Nothing but the idle probe can notice a silent modem: the
// emulated modem's MQTT client stays connected to the broker, so no URC will ever come.

describe('idle probe over an emulated EC20', () => {
  it('a muted modem takes the link down; after unmuting it reopens, reconnects and resubscribes', async () => {
    const { broker, server, port } = await startBroker();
    const emulator = createModemEmulator({
      model: 'ec20',
      baudRate: 0,
      bootDelayMs: 0,
      resolveBroker: () => ({ host: '127.0.0.1', port }),
    });
    const clientIds: string[] = [];
    broker.on('client', (c: { id: string }) => clientIds.push(c.id));
    const subscribed: string[] = [];
    broker.on('subscribe', (subs: { topic: string }[]) => subscribed.push(...subs.map((s) => s.topic)));
    let opened = 0;
    const modem = new ModemSupervisor({
      // A fresh pipe per bring-up, as a reopened serial port would be.
      createDriver: () => {
        opened++;
        return createModemDriver(new StreamTransport(emulator.createHostStream(), 'sim:ec20'), 'ec20');
      },
    });
    const lost: string[] = [];
    modem.on('lost', (reason: string) => lost.push(reason));
    const link = emulatedLink(modem, {
      // EC20's AT+CSQ times out after 1 s: two probes notice a hang within ~2.5 s.
      probeIntervalMs: 200,
    });
    try {
      link.connect();
      await reach(link, 'online');
      assert.equal(clientIds.length, 1);
      const subsBefore = subscribed.length;

      (emulator as unknown as ModemEmulatorBase).mute();
      const down = await reach(link, 'backoff');
      // The probe's AT+CSQ times out; the channel's resync after it gets no OK either and the
      // channel reports the modem unresponsive, or the second probe timeout does: whichever first.
      assert.match(down.reason ?? '', /stopped answering/);
      assert.equal(lost.length, 1);

      (emulator as unknown as ModemEmulatorBase).mute(false);
      await reach(link, 'online');
      assert.ok(opened >= 2, 'the port was reopened and the modem initialised again');
      assert.equal(clientIds.length, 2, 'a second MQTT connection after the hang');
      assert.notEqual(clientIds[1], undefined);
      assert.ok(subscribed.length >= subsBefore * 2, 'the subscriptions were sent again');
    } finally {
      await closeEmulatedLink({ link, modem, emulator, broker, server });
    }
  });
});
