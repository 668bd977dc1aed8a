/**
 * Supervisor rigs for the link tests: a LinkSupervisor over a ModemSupervisor whose drivers are
 * FakeDrivers, torn down after each test; and `reach`, the wait for a link state that the
 * emulated-modem tests use too.
 */
import { afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LinkSupervisor, type LinkState, type LinkStatus, type LinkSupervisorOptions } from '../../dist/link/link-supervisor';
import { ModemSupervisor } from '../../dist/link/modem-supervisor';
import type { ModemDriver } from '../../dist/modems/driver';
import { EVENT_DEADLINE_MS } from '../modems/event-deadline';
import type { MockClock } from '../mock-clock';
import { FakeDriver } from './fake-driver';

export const DEVICE = 'prod_dev01';

export interface LinkRig {
  /** Every driver the modem supervisor created, in order (a reopened modem adds one). */
  drivers: FakeDriver[];
  modem: ModemSupervisor;
  link: LinkSupervisor;
  /** Reasons of the modem's `lost` events. */
  lost: string[];
  /** Link states in order, each run of equal states once. */
  states: LinkState[];
  /** Every status event. */
  statuses: LinkStatus[];
}

/** LinkSupervisor options to override; a rig defaults to fast retries and no idle probe. */
type RigOptions = Partial<Omit<LinkSupervisorOptions, 'modem'>>;

/**
 * Registers an afterEach that disposes every rig the returned factory built during the test;
 * call it once at the top level of a test file. The factory takes LinkSupervisor option overrides.
 */
export function useLinkRig(): (overrides?: RigOptions) => LinkRig {
  const rigs: LinkRig[] = [];
  afterEach(async () => {
    for (const r of rigs.splice(0)) {
      await r.link.dispose();
      await r.modem.close();
    }
  });
  return (overrides = {}) => {
    const drivers: FakeDriver[] = [];
    const modem = new ModemSupervisor({
      createDriver: () => {
        const d = new FakeDriver();
        drivers.push(d);
        return d as unknown as ModemDriver;
      },
    });
    const lost: string[] = [];
    modem.on('lost', (reason: string) => lost.push(reason));
    const link = new LinkSupervisor({
      host: '127.0.0.1',
      port: 1883,
      deviceId: DEVICE,
      secret: 'top-secret',
      reconnectFloorMs: 5,
      reconnectCeilingMs: 20,
      probeIntervalMs: 0,
      publishRetryMs: 10,
      ...overrides,
      modem,
    });
    const states: LinkState[] = [];
    const statuses: LinkStatus[] = [];
    link.on('status', (s: LinkStatus) => {
      statuses.push(s);
      if (states[states.length - 1] !== s.state) states.push(s.state);
    });
    const r = { drivers, modem, link, lost, states, statuses };
    rigs.push(r);
    return r;
  };
}

/**
 * Holds the driver's publishes until the returned release() is called, and makes the next one
 * fail with `error` then: a publish in flight that a test can interrupt (link loss, stop()).
 */
export function holdPublish(d: FakeDriver, error: Error): () => void {
  let release!: () => void;
  d.holds.set('publish', new Promise<void>((res) => (release = res)));
  d.failures.set('publish', [error]);
  return release;
}

/**
 * Resolves with the next status in `state` (or the current one when already there), straight
 * from the status event, with no promise hops in between. Not `within()`: on the deadline the
 * error should name the state the link was in THEN, and the listener must be removed.
 */
export function reach(link: LinkSupervisor, state: LinkState, ms = EVENT_DEADLINE_MS): Promise<LinkStatus> {
  if (link.state === state) return Promise.resolve(link.status);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      link.off('status', on);
      reject(new Error(`link never reached ${state} (now ${link.state}): nothing within ${ms} ms`));
    }, ms);
    const on = (s: LinkStatus) => {
      if (s.state !== state) return;
      clearTimeout(timer);
      link.off('status', on);
      resolve(s);
    };
    link.on('status', on);
  });
}

/** `reach` under mocked time: moves the clock forward until the link is in `state`. */
export function reachIn(clock: MockClock, link: LinkSupervisor, state: LinkState): Promise<LinkStatus> {
  return clock.until(reach(link, state), `link never reached ${state} (now ${link.state})`);
}

/**
 * The node catalog's translation in `lang` as a function of (key, params), as Node-RED's
 * RED._ would give it; asserts that the catalog has the key.
 */
export function translator(lang: 'en-US' | 'zh-CN') {
  const catalog = JSON.parse(readFileSync(join(__dirname, '..', '..', 'nodes', 'locales', lang, 'iotda-at.json'), 'utf8'));
  return (key: string, params: Record<string, unknown> = {}) => {
    const text = key.split('.').reduce((o: any, k) => o?.[k], catalog);
    assert.equal(typeof text, 'string', `${lang} has ${key}`);
    return (text as string).replace(/__(\w+)__/g, (_m, name: string) => String(params[name]));
  };
}
