/**
 * ESP8266 firmware and hardware matrix (issue 10, Also): every ESP-AT version the package
 * supports x power-on at port open (yes/no), plus long device ids where the version changes the
 * credential commands. Each cell runs the whole bring-up, one property report and one downlink
 * through the emulated module and the IoTDA emulator.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { IotdaEmulator } from '../../dist/sim/iotda';
import type { EspFirmware } from '../../dist/sim/modems';
import { bringUp, espRig, sentLines, startIotda } from '../modems/esp-rig';
import { EVENT_DEADLINE_MS, onceWithin } from '../modems/event-deadline';

const FIRMWARES: EspFirmware[] = ['2.2.0.0', '2.2.1.0', '2.2.2.0', '2.3.0.0'];
const LONG_CREDENTIALS = new Set(['2.2.2.0', '2.3.0.0']);

interface Cell {
  firmware: EspFirmware;
  powerOnAtPortOpen: boolean;
  deviceId: string;
}

const cells: Cell[] = [];
for (const firmware of FIRMWARES) {
  for (const powerOnAtPortOpen of [false, true]) {
    cells.push({ firmware, powerOnAtPortOpen, deviceId: `m_${firmware.replace(/\./g, '')}_${powerOnAtPortOpen ? 'boot' : 'up'}` });
  }
  // 90 characters: over MQTTUSERCFG's line and (from 2.2.2.0) its 64-byte username limit.
  cells.push({ firmware, powerOnAtPortOpen: false, deviceId: `m_${firmware.replace(/\./g, '')}_long_${'x'.repeat(78)}` });
}

describe('ESP8266 matrix: firmware x power-on at port open (emulator + IoTDA emulator)', () => {
  let iotda: IotdaEmulator;

  before(async () => {
    iotda = await startIotda(cells.map((c) => c.deviceId));
  });
  after(async () => {
    await iotda.close();
  });

  for (const cell of cells) {
    const name = `${cell.firmware}, ${cell.powerOnAtPortOpen ? 'boots as the port opens' : 'already up'}, device id of ${cell.deviceId.length} chars`;
    it(name, { timeout: EVENT_DEADLINE_MS }, async () => {
      const rig = espRig(iotda, {
        espFirmware: cell.firmware,
        ...(cell.powerOnAtPortOpen ? { powerOnAtPortOpen: true, bootDelayMs: 80 } : {}),
      });
      try {
        await bringUp(rig, iotda, cell.deviceId);
        const sys = `$oc/devices/${cell.deviceId}/sys`;

        const reported = onceWithin(iotda, 'report');
        await rig.driver.publish(`${sys}/properties/report`, Buffer.from(JSON.stringify({ services: [{ service_id: 'env', properties: { t: 21 } }] })), 1);
        await reported;
        assert.deepEqual(iotda.getDevice(cell.deviceId)?.properties.env?.properties, { t: 21 });

        const down = onceWithin(rig.driver, 'message');
        iotda.sendMessage(cell.deviceId, { led: 'on' });
        const [, topic, payload] = await down;
        assert.equal(topic, `${sys}/messages/down`);
        assert.deepEqual(JSON.parse(payload.toString()).content, { led: 'on' });

        const lines = sentLines(rig);
        const usedLong = lines.some((l) => l.startsWith('AT+MQTTLONG'));
        if (cell.deviceId.length > 64) assert.equal(usedLong, LONG_CREDENTIALS.has(cell.firmware), lines.join('\n'));
        else assert.equal(usedLong, false);
        assert.deepEqual(rig.emulator.violations, []);
      } finally {
        await rig.close();
      }
    });
  }
});
