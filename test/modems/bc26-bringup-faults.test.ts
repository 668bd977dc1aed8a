/**
 * BC26 faults during the MQTT bring-up and mid-session, over the emulated BC26 and a broker that
 * checks the IoTDA password. The BC26 shares the EC20's QMT* code; these tests pin down that its
 * own dialect (BROM boot banner, Ctrl-Z publish, no QIACT) fails with typed errors, and that the
 * link layer (LinkSupervisor over ModemSupervisor) comes back online where it should.
 *
 * Faults are aimed at one command through the driver's trace, which sees a line just BEFORE it
 * is written: muting the modem or arming "error on the next command" there hits exactly that
 * command, with no timing assumption. BC26 has no `busy p...` (that is ESP-AT, ModemBusyError):
 * its busy answer is `+CME ERROR: 14`.
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { LinkSupervisor } from '../../dist/link/link-supervisor';
import { ModemSupervisor } from '../../dist/link/modem-supervisor';
import { createModemEmulator, type ModemEmulator } from '../../dist/sim/modems';
import type { ModemEmulatorBase } from '../../dist/sim/modems/emulator-base';
import { createModemDriver, type GenericModemDriver } from '../../dist/modems/generic-driver';
import { loadProfile } from '../../dist/modems/load-profile';
import { ModemError } from '../../dist/modems/errors';
import { AtCommandError, AtTimeoutError, ModemRebootedError } from '../../dist/at/errors';
import { iotdaCredentials } from '../../dist/iotda/credentials';
import { DEVICE, SECRET, emulatedLink, startBroker } from './emulator-harness';
import { EVENT_DEADLINE_MS, onceWithin } from './event-deadline';
import { StreamTransport } from './stream-transport';
import { reach } from '../link/link-rig';

// A short QMTOPEN timeout so a hang is noticed in a test's time (the BC26 default is 75 s).
const PROFILE = loadProfile({ extends: 'bc26', name: 'bc26-short-open', timeouts: { mqttOpen: 400 } });

/** A command line the driver is about to send: the trace's `>>` entries. */
type BeforeSend = (line: string) => void;

interface Rig {
  emulator: ModemEmulator;
  brokerClients: string[];
  /** Called with each command line just before it is written. */
  beforeSend: BeforeSend;
  newDriver(): GenericModemDriver;
  close(): Promise<void>;
}

let rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs) await r.close();
  rigs = [];
});

async function rig(): Promise<Rig> {
  const { broker, server, port } = await startBroker();
  const brokerClients: string[] = [];
  broker.on('client', (c: { id: string }) => brokerClients.push(c.id));
  const emulator = createModemEmulator({ model: 'bc26', baudRate: 0, strict: true, bootDelayMs: 0, resolveBroker: () => ({ host: '127.0.0.1', port }) });
  const drivers: GenericModemDriver[] = [];
  const r: Rig = {
    emulator,
    brokerClients,
    beforeSend: () => undefined,
    newDriver() {
      const driver = createModemDriver(new StreamTransport(emulator.createHostStream(), 'sim:bc26'), PROFILE, {
        trace: (dir, text) => {
          if (dir === '>>') r.beforeSend(text);
        },
      });
      drivers.push(driver);
      return driver;
    },
    async close() {
      for (const d of drivers) await d.close().catch(() => undefined);
      await emulator.close();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  rigs.push(r);
  return r;
}

/** Arms `fault` for the first command line starting with `prefix`, once. */
function onFirst(r: Rig, prefix: string, fault: () => void): void {
  let done = false;
  r.beforeSend = (line) => {
    if (done || !line.startsWith(prefix)) return;
    done = true;
    fault();
  };
}

const bc26Faults = (r: Rig) => r.emulator as unknown as ModemEmulatorBase;

async function ready(driver: GenericModemDriver): Promise<void> {
  await driver.init();
  await driver.attachNetwork({ apn: 'ctnb' });
}

async function connect(driver: GenericModemDriver): Promise<void> {
  const c = iotdaCredentials(DEVICE, SECRET);
  await driver.connect(c.clientId, c.username, c.password, 120, true);
}

function modemErrorCausedBy(cause: new (...args: never[]) => Error, code: RegExp, command: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof ModemError, String(err));
    assert.ok(err.cause instanceof cause, `cause is ${String(err.cause)}`);
    assert.match(err.code, code);
    assert.match(err.command, command);
    return true;
  };
}

/** A link supervisor over the rig's emulated BC26, retrying quickly. */
function linkOver(r: Rig): { link: LinkSupervisor; modem: ModemSupervisor; dispose(): Promise<void> } {
  const modem = new ModemSupervisor({ createDriver: () => r.newDriver(), attach: { apn: 'ctnb' } });
  const link = emulatedLink(modem);
  return {
    link,
    modem,
    async dispose() {
      await link.dispose();
      await modem.close();
    },
  };
}

describe('BC26 MQTT bring-up faults: typed errors from the driver', () => {
  it('a modem that hangs on AT+QMTOPEN: timeout error naming the command; after it answers again the open succeeds', { timeout: EVENT_DEADLINE_MS }, async () => {
    const r = await rig();
    const driver = r.newDriver();
    await ready(driver);
    onFirst(r, 'AT+QMTOPEN', () => bc26Faults(r).mute());
    await assert.rejects(driver.open('iot.example.com', 1883, false), (err: unknown) => {
      modemErrorCausedBy(AtTimeoutError, /^timeout$/, /^AT\+QMTOPEN=0,"iot\.example\.com",1883$/)(err);
      assert.match((err as ModemError).meaning, /no answer within 400 ms/);
      return true;
    });
    bc26Faults(r).mute(false);
    await driver.open('iot.example.com', 1883, false);
    await connect(driver);
    assert.equal(r.brokerClients.length, 1);
    assert.deepEqual(r.emulator.violations, []);
  });

  it('ERROR on AT+QMTCONN: AtCommandError as a ModemError naming the command; the next connect succeeds', { timeout: EVENT_DEADLINE_MS }, async () => {
    const r = await rig();
    const driver = r.newDriver();
    await ready(driver);
    await driver.open('iot.example.com', 1883, false);
    onFirst(r, 'AT+QMTCONN', () => r.emulator.faults.errorOnCommand(1));
    await assert.rejects(connect(driver), modemErrorCausedBy(AtCommandError, /^ERROR$/, /^AT\+QMTCONN=0,/));
    assert.equal(r.brokerClients.length, 0, 'the refused command never reached the broker');
    await connect(driver);
    assert.equal(r.brokerClients.length, 1);
  });

  it('+CME ERROR: 14 (busy) on AT+QMTCONN is a ModemError with the CME meaning, never the password', { timeout: EVENT_DEADLINE_MS }, async () => {
    const r = await rig();
    const driver = r.newDriver();
    await ready(driver);
    await driver.open('iot.example.com', 1883, false);
    onFirst(r, 'AT+QMTCONN', () => r.emulator.faults.busy(1));
    const password = iotdaCredentials(DEVICE, SECRET).password;
    await assert.rejects(connect(driver), (err: unknown) => {
      modemErrorCausedBy(AtCommandError, /^\+CME ERROR: 14$/, /^AT\+QMTCONN=0,/)(err);
      assert.match((err as ModemError).meaning, /SIM busy/);
      assert.ok(!(err as Error).message.includes(password), 'the password is redacted');
      return true;
    });
  });

  it('a reboot (BROM banner) during AT+QMTSUB: ModemRebootedError as a ModemError, reboot event, state lost', { timeout: EVENT_DEADLINE_MS }, async () => {
    const r = await rig();
    const driver = r.newDriver();
    await ready(driver);
    await driver.open('iot.example.com', 1883, false);
    await connect(driver);
    const rebooted = onceWithin(driver, 'reboot');
    onFirst(r, 'AT+QMTSUB', () => r.emulator.faults.reboot());
    await assert.rejects(driver.subscribe(`$oc/devices/${DEVICE}/sys/commands/#`, 1), (err: unknown) => {
      modemErrorCausedBy(ModemRebootedError, /Leaving the BROM/, /^AT\+QMTSUB=0,/)(err);
      assert.match((err as ModemError).meaning, /restarted/);
      return true;
    });
    await rebooted;
  });
});

describe('BC26 faults: the link layer comes back online', () => {
  it('after a hang on AT+QMTOPEN: backoff with the timeout as reason, then online once the modem answers', { timeout: EVENT_DEADLINE_MS * 2 }, async () => {
    const r = await rig();
    onFirst(r, 'AT+QMTOPEN', () => bc26Faults(r).mute());
    const l = linkOver(r);
    try {
      l.link.connect();
      const down = await reach(l.link, 'backoff');
      assert.match(down.reason ?? '', /AT\+QMTOPEN=0,"iotda\.example",1883/);
      assert.match(down.reason ?? '', /timeout|no answer/i);
      bc26Faults(r).mute(false);
      await reach(l.link, 'online');
      assert.equal(r.brokerClients.length, 1);
    } finally {
      await l.dispose();
    }
  });

  it('after ERROR on AT+QMTCONN: backoff naming the command, then online', { timeout: EVENT_DEADLINE_MS * 2 }, async () => {
    const r = await rig();
    onFirst(r, 'AT+QMTCONN', () => r.emulator.faults.errorOnCommand(1));
    const l = linkOver(r);
    try {
      l.link.connect();
      const down = await reach(l.link, 'backoff');
      assert.match(down.reason ?? '', /^AT\+QMTCONN=0,.*: ERROR/);
      assert.ok(!(down.reason ?? '').includes(iotdaCredentials(DEVICE, SECRET).password));
      await reach(l.link, 'online');
      assert.equal(r.brokerClients.length, 1);
    } finally {
      await l.dispose();
    }
  });

  it('a reboot while online: backoff saying the modem restarted, then online again with a new MQTT connection', { timeout: EVENT_DEADLINE_MS * 2 }, async () => {
    const r = await rig();
    const l = linkOver(r);
    try {
      l.link.connect();
      await reach(l.link, 'online');
      assert.equal(r.brokerClients.length, 1);
      r.emulator.faults.reboot();
      const down = await reach(l.link, 'backoff');
      assert.match(down.reason ?? '', /restart|reboot|Leaving the BROM/i);
      await reach(l.link, 'online');
      assert.equal(r.brokerClients.length, 2, 'a new MQTT connection after the reboot');
      // Re-init after the reboot turned sleep off again (it is lost with the reboot).
      const sleepOff = r.emulator.transcript.filter((t) => t.dir === 'in' && t.bytes.toString().startsWith('AT+QSCLK=0')).length;
      assert.equal(sleepOff, 2);
    } finally {
      await l.dispose();
    }
  });
});
