/**
 * The firmware and hardware matrix of issue 10 ("Also") for the Quectel models: in every cell
 * the real driver brings the emulated module up (init, network attach, MQTT open and connect,
 * subscribe), sends one property report and receives one downlink through the IoTDA emulator.
 *
 * Dimensions (emulator options; docs/models/ec20.md and docs/models/bc26.md name the sources):
 * - host interface: the EC20's own USB AT port or its main UART (the module keeps its factory
 *   URC port "usbat"; the interface is decided from the port's USB ids as modem-config does);
 *   the BC26 has a UART only;
 * - SIM: normal, or data-only (circuit-switched registration denied);
 * - firmware: current, or legacy (EC20 without QMTCFG "recv/mode", BC26 without "version");
 * - power-on at port open: the module is running when the port opens, or it restarts then
 *   and loses input until its application is up.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { startIotdaEmulator, type IotdaEmulator } from '../../dist/sim/iotda';
import { createModemEmulator, type ModemEmulator } from '../../dist/sim/modems';
import { createModemDriver } from '../../dist/modems/generic-driver';
import { decideHostInterface } from '../../dist/modems/host-interface';
import { iotdaCredentials } from '../../dist/iotda/credentials';
import { StreamTransport } from '../modems/stream-transport';
import { EVENT_DEADLINE_MS, onceWithin, within } from '../modems/event-deadline';

type Model = 'ec20' | 'bc26';
interface Cell {
  model: Model;
  hostInterface: 'usb' | 'uart';
  sim: 'normal' | 'data-only';
  firmware: 'current' | 'legacy';
  powerOnAtPortOpen: boolean;
}

const HOST_INTERFACES: Record<Model, Cell['hostInterface'][]> = { ec20: ['usb', 'uart'], bc26: ['uart'] };

function cells(): Cell[] {
  const out: Cell[] = [];
  for (const model of ['ec20', 'bc26'] as const) {
    for (const hostInterface of HOST_INTERFACES[model]) {
      for (const sim of ['normal', 'data-only'] as const) {
        for (const firmware of ['current', 'legacy'] as const) {
          for (const powerOnAtPortOpen of [false, true]) out.push({ model, hostInterface, sim, firmware, powerOnAtPortOpen });
        }
      }
    }
  }
  return out;
}

/** Opens a port on the module and sends AT until it answers OK: the module is up and running. */
async function runUntilUp(emulator: ModemEmulator): Promise<Duplex> {
  const stream = emulator.createHostStream();
  let seen = '';
  stream.on('data', (d: Buffer) => {
    seen += d.toString('latin1');
  });
  await within(
    new Promise<void>((resolve) => {
      const poke = (): void => {
        if (/\r\nOK\r\n/.test(seen)) return resolve();
        stream.write('AT\r');
        setTimeout(poke, 50);
      };
      poke();
    }),
    'the module answering AT',
  );
  return stream;
}

describe('Quectel matrix: bring-up, one property report, one downlink through the IoTDA emulator', () => {
  let iotda: IotdaEmulator;
  before(async () => {
    iotda = await startIotdaEmulator({ host: '127.0.0.1', mqttPort: 0, httpPort: 0 });
  });
  after(async () => {
    await iotda?.close();
  });

  cells().forEach((cell, n) => {
    const name = `${cell.model} host=${cell.hostInterface} sim=${cell.sim} firmware=${cell.firmware} power-on-at-open=${cell.powerOnAtPortOpen ? 'yes' : 'no'}`;
    it(name, { timeout: EVENT_DEADLINE_MS * 2 }, async () => {
      const deviceId = `matrix_${cell.model}_${n}`;
      const secret = `secret-${n}`;
      iotda.addDevice({ deviceId, secret, services: ['stm32'] });
      const emulator = createModemEmulator({
        model: cell.model,
        hostInterface: cell.hostInterface,
        sim: cell.sim,
        quectelFirmware: cell.firmware,
        powerOnAtPortOpen: cell.powerOnAtPortOpen,
        bootDelayMs: cell.powerOnAtPortOpen ? 150 : 0,
        baudRate: 0,
        strict: true,
        resolveBroker: () => ({ host: '127.0.0.1', port: iotda.mqttPort }),
      });
      const trace: string[] = [];
      let driver: ReturnType<typeof createModemDriver> | undefined;
      try {
        // The module was powered before this port open; with power-on at open, opening the
        // port again restarts it.
        const earlier = await runUntilUp(emulator);
        earlier.destroy();
        const decision = decideHostInterface('auto', `sim:${cell.model}`, { ...emulator.hostPortIds, source: 'the emulated port' });
        assert.equal(decision.hostInterface, cell.hostInterface, decision.reason);
        driver = createModemDriver(new StreamTransport(emulator.createHostStream(), `sim:${cell.model}`), cell.model, {
          hostInterface: decision.hostInterface!,
          hostInterfaceReason: decision.reason,
          trace: (dir, text) => trace.push(`${dir} ${text}`),
        });
        await driver.init();
        await driver.attachNetwork({ apn: 'cmnet' });
        await driver.open('127.0.0.1', iotda.mqttPort, false);
        const c = iotdaCredentials(deviceId, secret);
        await driver.connect(c.clientId, c.username, c.password, 120, true);
        const down = `$oc/devices/${deviceId}/sys/messages/down`;
        await driver.subscribe(down, 1);

        const report = { services: [{ service_id: 'stm32', properties: { temperature: 21.5 + n } }] };
        await driver.publish(`$oc/devices/${deviceId}/sys/properties/report`, Buffer.from(JSON.stringify(report)), 1);
        assert.deepEqual(iotda.getDevice(deviceId)?.properties.stm32?.properties, { temperature: 21.5 + n });

        const got = onceWithin(driver, 'message');
        iotda.sendMessage(deviceId, { led: 'on', cell: n });
        const [, topic, payload] = await got;
        assert.equal(topic, down);
        assert.deepEqual(JSON.parse((payload as Buffer).toString()).content, { led: 'on', cell: n });

        await driver.disconnect();
        if (cell.model === 'ec20' && cell.hostInterface === 'usb') {
          assert.ok(!trace.includes('>> AT+QURCCFG="urcport","uart1"'), 'never uart1 on the USB AT port');
        }
        assert.deepEqual(emulator.violations, []);
      } catch (err) {
        // The AT trace of a failing cell says what went wrong.
        throw Object.assign(err as Error, { message: `${(err as Error).message}\n${trace.slice(-40).join('\n')}` });
      } finally {
        await driver?.close().catch(() => undefined);
        await emulator.close();
      }
    });
  });
});
