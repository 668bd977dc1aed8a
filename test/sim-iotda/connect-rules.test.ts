/** Table-driven cases for the emulator's CONNECT decision and topic filter matching. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideConnect, topicMatchesFilter } from '../../dist/sim/iotda';
import { iotdaCredentials } from '../../dist/iotda';

const NOW = Date.UTC(2025, 3, 14, 1, 30); // 2025-04-14 01:30 UTC
const HOUR = 3_600_000;
const ctx = {
  secretOf: (id: string) => ({ myprod_dev01: '12345678', cold_dev: 'c' } as Record<string, string>)[id],
  isFrozen: (id: string) => id === 'cold_dev',
  now: NOW,
  signType1GraceMs: 5000,
};
/** 02:00:03 UTC: three seconds into the hour after NOW's. */
const JUST_AFTER_TURN = Date.UTC(2025, 3, 14, 2, 0, 3);
function facts(deviceId: string, secret: string, signType: 0 | 1, at: number, extra: Partial<Parameters<typeof decideConnect>[0]> = {}) {
  const c = iotdaCredentials(deviceId, secret, { signType, now: new Date(at) });
  return { clientId: c.clientId, username: c.username, password: Buffer.from(c.password), keepalive: 120, hasWill: false, ...extra };
}

describe('decideConnect', () => {
  const cases: [string, Parameters<typeof decideConnect>[0], number][] = [
    ['documented example', facts('myprod_dev01', '12345678', 0, NOW), 0],
    ['sign type 0, a year old', facts('myprod_dev01', '12345678', 0, NOW - 365 * 24 * HOUR), 0],
    ['sign type 1, current hour', facts('myprod_dev01', '12345678', 1, NOW), 0],
    ['sign type 1, start of the current hour', facts('myprod_dev01', '12345678', 1, Date.UTC(2025, 3, 14, 1, 0, 0)), 0],
    ['sign type 1, end of the current hour', facts('myprod_dev01', '12345678', 1, Date.UTC(2025, 3, 14, 1, 59, 59)), 0],
    // Strict: the current UTC hour only (docs/iotda.md §1.9), so a clock off by an hour is caught.
    ['sign type 1, one hour behind', facts('myprod_dev01', '12345678', 1, NOW - HOUR), 4],
    ['sign type 1, one hour ahead', facts('myprod_dev01', '12345678', 1, NOW + HOUR), 4],
    ['sign type 1, a day behind (same hour of day)', facts('myprod_dev01', '12345678', 1, NOW - 24 * HOUR), 4],
    ['sign type 1, three hours behind', facts('myprod_dev01', '12345678', 1, NOW - 3 * HOUR), 4],
    ['sign type 1, three hours ahead', facts('myprod_dev01', '12345678', 1, NOW + 3 * HOUR), 4],
    ['keepalive 30 (lower bound)', facts('myprod_dev01', '12345678', 0, NOW, { keepalive: 30 }), 0],
    ['keepalive 1200 (upper bound)', facts('myprod_dev01', '12345678', 0, NOW, { keepalive: 1200 }), 0],
    ['keepalive 0 (Quectel "off")', facts('myprod_dev01', '12345678', 0, NOW, { keepalive: 0 }), 2],
    ['keepalive 29', facts('myprod_dev01', '12345678', 0, NOW, { keepalive: 29 }), 2],
    ['keepalive 1201', facts('myprod_dev01', '12345678', 0, NOW, { keepalive: 1201 }), 2],
    ['ClientId is the device id', facts('myprod_dev01', '12345678', 0, NOW, { clientId: 'myprod_dev01' }), 2],
    ['sign type 2 (SM3)', facts('myprod_dev01', '12345678', 0, NOW, { clientId: 'myprod_dev01_0_2_2025041401' }), 2],
    ['no password', facts('myprod_dev01', '12345678', 0, NOW, { password: undefined }), 4],
    ['password keyed the wrong way', facts('myprod_dev01', '12345678', 0, NOW, { password: Buffer.from('75e7262705ff85203403e600f652133f9cac4e4d1400b44f3582e778a97f6c36') }), 4],
    ['uppercase hex password', facts('myprod_dev01', '12345678', 0, NOW, { password: Buffer.from('C75150E6CB841417396819E4D2EE4358A416344A03A083E3A8567074DDEC820A') }), 4],
    ['unknown device', facts('ghost', 'x', 0, NOW), 4],
    ['frozen device, right secret', facts('cold_dev', 'c', 0, NOW), 5],
    ['frozen device, wrong secret', facts('cold_dev', 'wrong', 0, NOW), 4],
    ['will present', facts('myprod_dev01', '12345678', 0, NOW, { hasWill: true }), 5],
  ];
  for (const [name, f, code] of cases) {
    it(`${name} → ${code}`, () => assert.equal(decideConnect(f, ctx).returnCode, code));
  }

  it('sign type 1 signed at hh:59:59 passes within the grace after the turn of the hour, not later', () => {
    const late = facts('myprod_dev01', '12345678', 1, Date.UTC(2025, 3, 14, 1, 59, 59, 900));
    assert.equal(decideConnect(late, { ...ctx, now: JUST_AFTER_TURN }).returnCode, 0);
    assert.equal(decideConnect(late, { ...ctx, now: Date.UTC(2025, 3, 14, 2, 0, 5) }).returnCode, 4);
    assert.equal(decideConnect(late, { ...ctx, now: Date.UTC(2025, 3, 14, 2, 0, 4, 999) }).returnCode, 0);
  });

  it('sign type 0 accepts any 10 digits whatever the clock', () => {
    assert.equal(decideConnect(facts('myprod_dev01', '12345678', 0, NOW - 30 * 24 * HOUR), { ...ctx, now: JUST_AFTER_TURN }).returnCode, 0);
  });

  it('the documented password is accepted as sent (row 1 of §1.1)', () => {
    const d = decideConnect(
      { clientId: 'myprod_dev01_0_0_2025041401', username: 'myprod_dev01', password: Buffer.from('c75150e6cb841417396819e4d2ee4358a416344a03a083e3a8567074ddec820a'), keepalive: 120, hasWill: false },
      ctx,
    );
    assert.deepEqual([d.returnCode, d.deviceId], [0, 'myprod_dev01']);
  });

  it('the C SDK hour-24 bump is accepted with sign type 0 (§1.1 regression case)', () => {
    const d = decideConnect(
      { clientId: 'x_0_0_2025041824', username: 'x', password: Buffer.from('7599e956f91c9cc9af3dc2154435ad0b2eda5f62aecdd060e18bfbdf7d1848f9'), keepalive: 120, hasWill: false },
      { ...ctx, secretOf: () => '12345678' },
    );
    assert.equal(d.returnCode, 0, d.reason);
  });
});

describe('topicMatchesFilter', () => {
  const cases: [string, string, boolean][] = [
    ['$oc/devices/d/sys/commands/#', '$oc/devices/d/sys/commands/request_id=1', true],
    ['$oc/devices/d/sys/commands/#', '$oc/devices/d/sys/commands', true],
    ['$oc/devices/d/sys/messages/down', '$oc/devices/d/sys/messages/down', true],
    ['$oc/devices/d/sys/messages/down', '$oc/devices/d/sys/messages/down/x', false],
    ['$oc/devices/+/sys/events/down', '$oc/devices/d/sys/events/down', true],
    ['#', '$oc/devices/d/sys/events/down', false],
    ['+/devices/d/sys/events/down', '$oc/devices/d/sys/events/down', false],
    ['$oc/devices/d/sys/properties/set/#', '$oc/devices/d/sys/properties/get/request_id=1', false],
  ];
  for (const [filter, topic, expected] of cases) {
    it(`${filter} ${expected ? 'matches' : 'does not match'} ${topic}`, () => assert.equal(topicMatchesFilter(filter, topic), expected));
  }
});
