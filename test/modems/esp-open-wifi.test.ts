/**
 * An ESP8266 on an open Wi-Fi network (no password), issue 13: the modem-config node passes no
 * password when its credential is empty, and the driver joins with an empty quoted password,
 * `AT+CWJAP="<ssid>",""`, which ESP-AT accepts for an open access point (docs/models/esp8266.md).
 * The real driver and AT channel against the ESP8266 emulator (strict mode), which knows one open
 * and one protected network.
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { ModemError } from '../../dist/modems/errors';
import { startHarness, type Harness } from './emulator-harness';
import { EVENT_DEADLINE_MS } from './event-deadline';

const NETWORKS = [
  { ssid: 'cafe-free', password: '', rssi: -61 },
  { ssid: 'office', password: 'office-pass', rssi: -50 },
];

describe('ESP8266 on an open Wi-Fi network', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  for (const [what, wifiPassword] of [['an empty password', ''], ['no password at all (the node passes none)', undefined]] as const) {
    it(`joins with ${what} as AT+CWJAP="<ssid>",""`, { timeout: EVENT_DEADLINE_MS }, async () => {
      h = await startHarness('esp8266', { wifiNetworks: NETWORKS });
      await h.driver.init();
      await h.driver.attachNetwork({ wifiSsid: 'cafe-free', wifiPassword });
      const sent = h.trace.filter((l) => l.includes('AT+CWJAP='));
      assert.ok(sent.some((l) => /AT\+CWJAP="cafe-free",""(\r|\\r|$)/.test(l)), sent.join('\n'));
      assert.equal((await h.driver.signal()).dbm, -61);
    });
  }

  it('an empty password on a protected network fails with the module\'s "wrong password"', { timeout: EVENT_DEADLINE_MS }, async () => {
    h = await startHarness('esp8266', { wifiNetworks: NETWORKS });
    await h.driver.init();
    await assert.rejects(h.driver.attachNetwork({ wifiSsid: 'office', wifiPassword: '' }), (err: unknown) => {
      assert.ok(err instanceof ModemError);
      assert.match(err.message, /\+CWJAP:2/);
      assert.match(err.message, /wrong password/);
      return true;
    });
  });
});
