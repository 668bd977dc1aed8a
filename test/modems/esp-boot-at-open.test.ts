/**
 * Issue 10 item 7, ESP8266 side: the module boots as the port opens (host and module powered
 * together, or DTR/RTS wired to reset). It is deaf until its application runs, prints the ROM
 * log as garbage at 115200, then `ready`, which may be lost. The bring-up succeeds on the same
 * port, without waiting out the 10 s default timeout.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createModemEmulator } from '../../dist/sim/modems';
import { createModemDriver } from '../../dist/modems/generic-driver';
import { bringUp, espSuite, moduleOutput, WIFI } from './esp-rig';
import { EVENT_DEADLINE_MS, onceWithin } from './event-deadline';
import { StreamTransport } from './stream-transport';

const DEVICE = 'esp_boot_dev01';

describe('ESP8266: the module boots as the port opens (emulator + IoTDA emulator)', () => {
  const suite = espSuite([DEVICE]);

  for (const readyLost of [false, true]) {
    it(`bring-up on the same port while the module boots${readyLost ? ' and its ready is lost' : ''}`, { timeout: EVENT_DEADLINE_MS }, async () => {
      const iotda = suite.iotda();
      const rig = suite.rig({ powerOnAtPortOpen: true, bootDelayMs: 100, baudRate: 115200, espBootLosesReady: readyLost });
      let closed = false;
      rig.transport.on('close', () => {
        closed = true;
      });
      const started = Date.now();
      await bringUp(rig, iotda, DEVICE);
      const took = Date.now() - started;
      assert.equal(iotda.getDevice(DEVICE)?.online, true);
      assert.equal(closed, false, 'the port was never closed');
      assert.equal(rig.transport.isOpen, true);
      // A lost first command costs one short echo-off timeout, never the 10 s default.
      assert.ok(took < 6000, `bring-up took ${took} ms`);
      const out = moduleOutput(rig);
      assert.ok(out.startsWith('rl'), 'the boot ROM log came first');
      await rig.driver.publish(`$oc/devices/${DEVICE}/sys/properties/report`, Buffer.from('{"services":[{"service_id":"s","properties":{"b":1}}]}'), 1);
    });
  }

  it('a module that was up restarts when a host opens the port again (DTR/RTS reset): bring-up on that port', { timeout: EVENT_DEADLINE_MS }, async () => {
    const iotda = suite.iotda();
    const emulator = createModemEmulator({
      model: 'esp8266',
      baudRate: 0,
      strict: true,
      bootDelayMs: 50,
      powerOnAtPortOpen: true,
      wifiNetworks: [WIFI],
      resolveBroker: () => ({ host: '127.0.0.1', port: iotda.mqttPort }),
    });
    // An earlier host used the module and closed the port.
    const earlier = emulator.createHostStream();
    await onceWithin(emulator, 'up');
    earlier.destroy();
    const boot = onceWithin(emulator, 'boot');
    const transport = new StreamTransport(emulator.createHostStream(), 'sim:esp8266');
    await boot;
    const driver = createModemDriver(transport, 'esp8266');
    const rig = suite.track({
      emulator,
      transport,
      driver,
      trace: [],
      up: Promise.resolve(),
      close: async () => {
        await driver.close().catch(() => undefined);
        await emulator.close();
      },
    });
    await bringUp(rig, iotda, DEVICE);
    assert.equal(iotda.getDevice(DEVICE)?.online, true);
    assert.equal(transport.isOpen, true);
  });
});
