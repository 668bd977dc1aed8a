import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import {
  iotdaCredentials,
  iotdaPassword,
  iotdaTimestamp,
  validateDeviceId,
  IotdaError,
} from '../../dist/iotda';

describe('iotda credentials', () => {
  // docs/iotda.md §1.1 vectors: key = timestamp, message = secret.
  const vectors = [
    { key: '2025041401', message: '12345678', hex: 'c75150e6cb841417396819e4d2ee4358a416344a03a083e3a8567074ddec820a' },
    { key: '202012222200', message: '123456789', hex: 'c0fefa1341fb0647290e93f641a9bcea74cd32111668cdc5f7418553640a55cc' },
    { key: '2025041406', message: '12345678', hex: 'adbf379d612fe730e720cd6f2f99b411fc658ab1d7b1dcfc8fd2a524c4b4f375' },
  ];
  for (const v of vectors) {
    it(`HMAC vector key=${v.key}`, () => {
      assert.equal(iotdaPassword(v.message, v.key), v.hex);
    });
  }

  it('the swapped argument order does not produce the documented password', () => {
    const swapped = '75e7262705ff85203403e600f652133f9cac4e4d1400b44f3582e778a97f6c36';
    assert.equal(iotdaPassword('2025041401', '12345678'), swapped);
    assert.notEqual(iotdaPassword('12345678', '2025041401'), swapped);
  });

  it('builds the seed ClientId shape', () => {
    const c = iotdaCredentials('64000697352830580e48df07_dev1', 'secret', { now: new Date('2023-03-02T06:59:59Z') });
    assert.equal(c.clientId, '64000697352830580e48df07_dev1_0_0_2023030206');
    assert.equal(c.username, '64000697352830580e48df07_dev1');
    assert.equal(c.timestamp, '2023030206');
    assert.equal(c.password, iotdaPassword('secret', '2023030206'));
    assert.match(c.password, /^[0-9a-f]{64}$/);
  });

  it('the documented example device and sign type 1', () => {
    const now = new Date('2025-04-14T01:30:00Z');
    assert.deepEqual(iotdaCredentials('myprod_dev01', '12345678', { now }), {
      clientId: 'myprod_dev01_0_0_2025041401',
      username: 'myprod_dev01',
      password: vectors[0].hex,
      timestamp: '2025041401',
    });
    assert.equal(iotdaCredentials('myprod_dev01', '12345678', { now, signType: 1 }).clientId, 'myprod_dev01_0_1_2025041401');
  });

  it('uses the UTC hour across a day boundary', () => {
    assert.equal(iotdaTimestamp(new Date('2024-12-31T23:59:59.999Z')), '2024123123');
    assert.equal(iotdaTimestamp(new Date('2025-01-01T00:00:00Z')), '2025010100');
  });

  it('a host in Asia/Shanghai (UTC+8) still gets the UTC hour', () => {
    // The zone must be set before the process reads any date, so run a child node.
    const script = `
      const { iotdaCredentials } = require(${JSON.stringify(path.resolve(__dirname, '../../dist/iotda'))});
      const now = new Date('2024-12-31T20:30:00Z');
      process.stdout.write(JSON.stringify({ local: now.getHours(), c: iotdaCredentials('d1', 's', { now }) }));`;
    const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, TZ: 'Asia/Shanghai' }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.local, 4, 'the child really runs at UTC+8');
    assert.equal(out.c.timestamp, '2024123120');
    assert.equal(out.c.clientId, 'd1_0_0_2024123120');
  });

  const badIds: [unknown, RegExp][] = [
    ['', /empty/],
    ['a'.repeat(129), /129 characters/],
    ['dev 1', /" "/],
    ['dev/1', /"\/"/],
    ['dev#', /"#"/],
    ['设备', /"设"/],
    [undefined, /empty/],
  ];
  for (const [id, reason] of badIds) {
    it(`rejects device id ${JSON.stringify(id)?.slice(0, 20)}`, () => {
      assert.throws(() => validateDeviceId(id), (e: unknown) => e instanceof IotdaError && e.code === 'bad-device-id' && reason.test(e.message));
      if (typeof id === 'string') assert.throws(() => iotdaCredentials(id, 's'), IotdaError);
    });
  }

  it('accepts a 128-character id and rejects an empty secret or a bad sign type', () => {
    assert.equal(validateDeviceId('a-_9'.repeat(32)), 'a-_9'.repeat(32));
    assert.throws(() => iotdaCredentials('d', ''), /secret is empty/);
    assert.throws(() => iotdaCredentials('d', 's', { signType: 2 as 0 }), /sign type/);
  });
});
