/**
 * The IoTDA emulator checks sign type 1 against its OWN clock (option `clock`), the current UTC
 * hour only (docs/iotda.md §1.1, §1.9), over a real MQTT connection: a device whose clock is an
 * hour or a day off is refused with CONNACK 4; sign type 0 is not checked.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startIotdaEmulator, type IotdaEmulator } from '../../dist/sim/iotda';
import { iotdaCredentials } from '../../dist/iotda';

const DEV = 'clock_dev1';
const SECRET = 'clock-secret';
const HOUR = 3_600_000;
/** The emulator's clock: a fixed instant, 20 minutes into an hour, well away from either turn. */
const EMU_NOW = Date.UTC(2026, 11, 7, 9, 20, 0);

describe('IoTDA emulator, sign type 1 against its own clock', () => {
  let emu: IotdaEmulator;
  let emuNow = EMU_NOW;

  before(async () => {
    emu = await startIotdaEmulator({ mqttPort: 0, httpPort: 0, devices: [{ deviceId: DEV, secret: SECRET }], clock: () => emuNow, log: () => undefined });
  });
  after(async () => {
    await emu.close();
  });

  async function login(signType: 0 | 1, at: number): Promise<number> {
    const c = iotdaCredentials(DEV, SECRET, { signType, now: new Date(at) });
    try {
      const client = await mqtt.connectAsync(emu.mqttUrl, { clientId: c.clientId, username: c.username, password: c.password, keepalive: 120, clean: true, reconnectPeriod: 0 });
      await client.endAsync();
      return 0;
    } catch (err) {
      return (err as { code?: number }).code ?? -1;
    }
  }

  const cases: [string, 0 | 1, number, number][] = [
    ['sign type 1 at the emulator hour (the host clock is irrelevant)', 1, EMU_NOW, 0],
    ['sign type 1 an hour behind the emulator', 1, EMU_NOW - HOUR, 4],
    ['sign type 1 an hour ahead of the emulator', 1, EMU_NOW + HOUR, 4],
    ['sign type 1 a day behind the emulator', 1, EMU_NOW - 24 * HOUR, 4],
    ['sign type 0 a day behind the emulator', 0, EMU_NOW - 24 * HOUR, 0],
  ];
  for (const [name, signType, at, code] of cases) {
    it(`${name} → CONNACK ${code}`, async () => {
      emuNow = EMU_NOW;
      assert.equal(await login(signType, at), code);
    });
  }

  it('a login signed at hh:59:59 passes 3 s after the turn of the hour, and is refused 10 s after it', async () => {
    const signedAt = Date.UTC(2026, 11, 7, 9, 59, 59, 900);
    emuNow = Date.UTC(2026, 11, 7, 10, 0, 3);
    assert.equal(await login(1, signedAt), 0);
    emuNow = Date.UTC(2026, 11, 7, 10, 0, 10);
    assert.equal(await login(1, signedAt), 4);
  });
});
