import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nextState, type LinkEvent, type LinkState } from '../../dist/link/link-states';
import { DEVICE, reach, useLinkRig } from './link-rig';
import { ModemError } from '../../dist/modems/errors';

const rig = useLinkRig();

describe('link transition table', () => {
  const table: [LinkState, LinkEvent, LinkState | undefined][] = [
    ['idle', 'start', 'opening-port'],
    ['opening-port', 'modem', 'init'],
    ['init', 'attach', 'attaching'],
    ['attaching', 'mqtt-open', 'opening-mqtt'],
    ['opening-mqtt', 'mqtt-connect', 'connecting'],
    ['connecting', 'subscribe', 'subscribing'],
    ['subscribing', 'online', 'online'],
    ['online', 'failure', 'backoff'],
    ['connecting', 'refused', 'refused'],
    ['refused', 'start', 'opening-port'],
    ['backoff', 'start', 'opening-port'],
    ['online', 'take-down', 'stopping'],
    ['stopping', 'held', 'held'],
    ['stopping', 'stopped', 'stopped'],
    ['backoff', 'hold', 'held'],
    // Not in the table: a bug shows up instead of a silent jump.
    ['idle', 'online', undefined],
    ['backoff', 'failure', undefined],
    ['refused', 'refused', undefined],
    ['stopped', 'mqtt-open', undefined],
    ['held', 'online', undefined],
  ];
  for (const [from, event, to] of table) {
    it(`${from} + ${event} -> ${to ?? '(not allowed)'}`, () => assert.equal(nextState(from, event), to));
  }

  it('every state change is logged once with its reason, and a refusal is its own state', async () => {
    const lines: string[] = [];
    const r = rig({ log: (_level, text) => lines.push(text) });
    r.link.connect();
    await reach(r.link, 'online');
    r.drivers[0].failures.set('connect', [new ModemError('AT+QMTCONN', '+QMTCONN: 0,0,5', 'CONNACK 5: not authorised', { kind: 'auth', connack: 5 })]);
    r.drivers[0].sessions.get(0)!.emit('linkDown', 'kicked by the platform');
    await reach(r.link, 'refused');
    const moves = lines.filter((l) => /^link |^online /.test(l));
    // One line per state change (the rig's states list has each run of equal states once).
    assert.equal(moves.length, r.states.length);
    assert.ok(moves.includes('link online -> backoff (failure: kicked by the platform; retrying in 0 s)'), moves.join('\n'));
    assert.ok(moves.some((l) => /^link connecting -> refused \(refused: .*CONNACK 5/.test(l)), moves.join('\n'));
    assert.ok(moves.some((l) => l === `online as ${DEVICE} via 127.0.0.1:1883`));
  });
});
