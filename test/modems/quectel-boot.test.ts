/**
 * Issue 10 item 7: the module boots while the package starts (host and module powered together,
 * DTR/RTS wired to reset or PWRKEY). A boot banner during init must not fail the bring-up nor
 * close the port: the driver waits until the module is up and initialises it again on the same
 * port (docs/models/ec20.md and docs/models/bc26.md, "Boot"). Before, a banner after the first
 * command failed init with ModemRebootedError and the supervisor closed the port.
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createModemDriver, type GenericModemDriver } from '../../dist/modems/generic-driver';
import { ModemSupervisor } from '../../dist/link/modem-supervisor';
import { createModemEmulator, type ModemEmulator } from '../../dist/sim/modems';
import { ScriptedModem, healthyQuectel } from './scripted-modem';
import { startBroker } from './emulator-harness';
import { StreamTransport } from './stream-transport';
import { EVENT_DEADLINE_MS } from './event-deadline';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** A scripted module that restarts (prints `banner`, then `afterBoot` a moment later) at the first `at` command. */
function restartingModule(at: RegExp, banner: string, afterBoot: string): ScriptedModem {
  const modem = healthyQuectel(new ScriptedModem('\r'));
  modem.rule(
    at,
    (_m, md) => {
      md.send(banner);
      setTimeout(() => md.send(afterBoot), 20);
    },
    1,
  );
  return modem;
}

const BROM = 'F1: 0000 0000\n\rV0: 0000 0000 [0001]\n\rT0: 0000 00B4\n\rLeaving the BROM\n\rBL_V01';

describe('a boot banner during init (scripted module)', () => {
  const cases: { model: 'ec20' | 'bc26'; at: RegExp; banner: string; afterBoot: string; why: string }[] = [
    { model: 'ec20', at: /^AT\+CMEE=1$/, banner: '\r\nRDY\r\n', afterBoot: '\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n', why: 'EC20 RDY during AT+CMEE=1' },
    { model: 'bc26', at: /^AT\+QSCLK=0$/, banner: BROM, afterBoot: '\r\n+CPIN: READY\r\n', why: 'BC26 BROM banner (LF CR ends, bootloader tag without a line end) during AT+QSCLK=0' },
    { model: 'ec20', at: /^AT\+CMEE=1$/, banner: '\r\nRDY\r\n', afterBoot: '', why: 'EC20 RDY during AT+CMEE=1, then a quiet line' },
  ];
  for (const c of cases) {
    it(`${c.why}: waits until up, initialises again on the same port`, { timeout: EVENT_DEADLINE_MS }, async () => {
      const modem = restartingModule(c.at, c.banner, c.afterBoot);
      let drivers = 0;
      let driver: GenericModemDriver | undefined;
      const supervisor = new ModemSupervisor({
        createDriver: () => {
          drivers++;
          driver = createModemDriver(modem, c.model);
          return driver;
        },
      });
      cleanups.push(() => supervisor.close());
      const ready = await supervisor.ready();
      assert.equal(ready, driver);
      assert.equal(drivers, 1, 'the port was not closed and reopened');
      assert.equal(modem.isOpen, true);
      const at = modem.lines.findIndex((l) => c.at.test(l));
      const again = modem.lines.slice(at + 1);
      assert.equal(again[0], 'AT', 'asked whether the module is up');
      assert.ok(again.includes('ATE0'), `initialised again: ${again.join(', ')}`);
      assert.ok(again.some((l) => c.at.test(l)), 'the interrupted step ran again');
    });
  }

  it('a module that never answers fails init with a clear error at the boot deadline', { timeout: EVENT_DEADLINE_MS }, async () => {
    const modem = new ScriptedModem('\r');
    modem.rule(/.*/, () => undefined);
    modem.isOpen = true;
    const driver = createModemDriver(modem, { ...(await import('../../dist/modems/load-profile')).getProfile('ec20'), timeouts: { default: 300, boot: 1500 } } as never);
    cleanups.push(() => driver.close());
    await assert.rejects(driver.init(), /did not answer within 1500 ms/);
  });
});

describe('power-on at port open (emulator option)', () => {
  for (const [model, hostInterface] of [['ec20', 'usb'], ['ec20', 'uart'], ['bc26', 'uart']] as const) {
    it(`${model} on ${hostInterface}: the module restarts when the port opens; init waits and succeeds on that port`, { timeout: EVENT_DEADLINE_MS }, async () => {
      const { broker, server, port } = await startBroker();
      cleanups.push(async () => {
        await new Promise<void>((r) => broker.close(() => r()));
        await new Promise<void>((r) => server.close(() => r()));
      });
      const emulator: ModemEmulator = createModemEmulator({
        model,
        hostInterface,
        // The URC port already set for the UART by an earlier run (it is kept in NV memory).
        ...(hostInterface === 'uart' ? { urcPort: 'uart1' as const } : {}),
        powerOnAtPortOpen: true,
        bootDelayMs: 150,
        baudRate: 0,
        strict: true,
        resolveBroker: () => ({ host: '127.0.0.1', port }),
      });
      cleanups.push(() => emulator.close());
      // An earlier session on the port, then the port is opened again: a restart.
      const first = createModemDriver(new StreamTransport(emulator.createHostStream(), `sim:${model}`), model, { hostInterface });
      await first.init();
      await first.close();
      const transport = new StreamTransport(emulator.createHostStream(), `sim:${model}`);
      const trace: string[] = [];
      const driver = createModemDriver(transport, model, { hostInterface, trace: (d, t) => trace.push(`${d} ${t}`) });
      cleanups.push(() => driver.close());
      const id = await driver.init();
      assert.ok(id.firmware.length > 0);
      await driver.attachNetwork({ apn: 'cmnet' });
      assert.equal(transport.isOpen, true);
      assert.deepEqual(emulator.violations, []);
    });
  }
});
