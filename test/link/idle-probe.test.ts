import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isAtTimeout } from '../../dist/link/link-supervisor';
import { AtCommandError, AtTimeoutError } from '../../dist/at/errors';
import { ModemError } from '../../dist/modems/errors';
import type { ModemDriver } from '../../dist/modems/driver';
import { useMockClock, type MockClock } from '../mock-clock';
import type { FakeDriver } from './fake-driver';
import { reachIn, useLinkRig } from './link-rig';

// The idle probe over the scripted driver: which probe failures take the modem down and which
// do not. The end-to-end version over an emulated modem is idle-probe-emulated.test.ts.
// Time is mocked: the tests move the clock through the probe intervals instead of sleeping.

const rig = useLinkRig();
// Every test here is about the probe: it runs every 5 ms instead of the rigs' default "off".
const probingRig = () => rig({ probeIntervalMs: 5 });

/** Resolves once `driver` has started its n-th signal query (the probe after it has not run yet). */
function probes(clock: MockClock, driver: FakeDriver, n: number): Promise<void> {
  if (driver.signals >= n) return Promise.resolve();
  return clock.until(
    new Promise<void>((resolve) => {
      const on = (count: number) => {
        if (count < n) return;
        driver.off('signal', on);
        resolve();
      };
      driver.on('signal', on);
    }),
    `signal query ${n} never started`,
  );
}

/** What the driver throws when AT+CSQ gets no answer: a ModemError whose cause is the channel's timeout. */
const csqTimeout = () => new ModemError('AT+CSQ', 'timeout', 'no answer within 1000 ms', { cause: new AtTimeoutError('AT+CSQ', 1000) });
const csqError = () => new ModemError('AT+CSQ', 'ERROR', 'the modem refused the command', { cause: new AtCommandError('AT+CSQ', 'ERROR') });

describe('idle probe', () => {
  it('two probe timeouts in a row mark the modem lost; the link reconnects on a fresh driver', async (t) => {
    const clock = useMockClock(t);
    const r = probingRig();
    r.link.connect();
    await reachIn(clock, r.link, 'online');
    const first = r.drivers[0];
    // Signal query 1 is the refresh on going online; 2 and 3 are idle probes.
    first.failures.set('signal', [csqTimeout(), csqTimeout(), csqTimeout()]);
    const down = await reachIn(clock, r.link, 'backoff');
    assert.match(down.reason ?? '', /stopped answering/);
    assert.equal(r.lost.length, 1);
    assert.match(r.lost[0], /2 idle probes timed out/);
    await reachIn(clock, r.link, 'online');
    assert.equal(r.drivers.length, 2, 'the modem was reopened');
    assert.equal(first.closed, true);
    assert.equal(r.drivers[1].inits, 1);
    assert.equal(r.drivers[1].sessions.get(0)!.connects.length, 1, 'MQTT connected again on the new driver');
  });

  it('a successful probe between two timeouts resets the count', async (t) => {
    const clock = useMockClock(t);
    const r = probingRig();
    r.link.connect();
    await reachIn(clock, r.link, 'online');
    const d = r.drivers[0];
    await probes(clock, d, 1);
    // Probes 2..7 alternate timeout / answer: never two timeouts in a row.
    const ok = undefined as unknown as Error;
    d.failures.set('signal', [csqTimeout(), ok, csqTimeout(), ok, csqTimeout(), ok]);
    // Query 8 starts only after query 7 settled: by then every alternation has been judged.
    await probes(clock, d, 8);
    assert.deepEqual(r.lost, []);
    assert.equal(r.link.state, 'online');
    assert.equal(r.drivers.length, 1);
  });

  it('ERROR answers to the probe are not a lost modem', async (t) => {
    const clock = useMockClock(t);
    const r = probingRig();
    r.link.connect();
    await reachIn(clock, r.link, 'online');
    const d = r.drivers[0];
    await probes(clock, d, 1);
    d.failures.set('signal', [csqError(), csqError(), csqError(), csqTimeout(), csqError(), csqTimeout()]);
    await probes(clock, d, 8);
    assert.deepEqual(r.lost, []);
    assert.equal(r.link.state, 'online');
  });

  it('recognises the channel timeout bare or wrapped by the driver, and nothing else', () => {
    assert.equal(isAtTimeout(new AtTimeoutError('AT', 300)), true);
    assert.equal(isAtTimeout(csqTimeout()), true);
    assert.equal(isAtTimeout(csqError()), false);
    assert.equal(isAtTimeout(new Error('timeout')), false);
    assert.equal(isAtTimeout(undefined), false);
  });

  it('markLost about a driver that is no longer current leaves the fresh one alone', async (t) => {
    const clock = useMockClock(t);
    const r = probingRig();
    r.link.connect();
    await reachIn(clock, r.link, 'online');
    const old = r.drivers[0];
    old.emit('reboot');
    await reachIn(clock, r.link, 'backoff');
    await reachIn(clock, r.link, 'online');
    r.modem.markLost('late verdict', old as unknown as ModemDriver);
    assert.equal(r.modem.current, r.drivers[1] as unknown as ModemDriver);
    assert.deepEqual(r.lost, ['the modem restarted']);
  });
});
