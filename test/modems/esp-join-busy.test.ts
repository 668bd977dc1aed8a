/**
 * Issue 10 item 9: while AT+CWJAP runs, an ESP-AT module already joined to the AP prints
 * WIFI DISCONNECT, busy p..., WIFI CONNECTED, busy p..., WIFI GOT IP and only then OK (capture
 * esp_at_5.txt). The join succeeds with one AT+CWJAP sent and no resync.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bringUp, espSuite, moduleOutput, sentLines, WIFI } from './esp-rig';
import { EVENT_DEADLINE_MS } from './event-deadline';

const DEVICE = 'esp_join_dev01';

describe('ESP8266: busy p... during AT+CWJAP (emulator + IoTDA emulator)', () => {
  const suite = espSuite([DEVICE]);

  it('the whole bring-up works with one AT+CWJAP and no resync', { timeout: EVENT_DEADLINE_MS }, async () => {
    const iotda = suite.iotda();
    // The module joined its stored AP by itself after boot, as in capture esp_at_1.txt.
    const rig = suite.rig({ espJoinBusy: true, espStoredWifi: WIFI.ssid });
    await new Promise<void>((resolve) => {
      const seen = () => {
        const out = moduleOutput(rig);
        if (out.includes('WIFI GOT IP')) resolve();
        else setTimeout(seen, 5);
      };
      seen();
    });
    await bringUp(rig, iotda, DEVICE);
    assert.equal(iotda.getDevice(DEVICE)?.online, true);
    const lines = sentLines(rig);
    assert.equal(lines.filter((l) => l.startsWith('AT+CWJAP=')).length, 1, lines.join('\n'));
    assert.deepEqual(lines.filter((l) => l === 'AT'), [], 'no resync AT');
    const out = moduleOutput(rig);
    assert.match(out, /WIFI DISCONNECT\r\nbusy p\.\.\.\r\nWIFI CONNECTED\r\nbusy p\.\.\.\r\nWIFI GOT IP\r\n\r\nOK\r\n/);
    assert.deepEqual(rig.emulator.violations, []);
  });
});
