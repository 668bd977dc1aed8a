/**
 * Huawei's CONNECT rules (docs/iotda.md §1.1, §1.2, §1.8) as one pure decision, so the
 * broker glue stays thin and every CONNACK code is easy to test.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { parseClientId } from './wire-format';

export interface ConnectFacts {
  clientId: string;
  username?: string;
  password?: Buffer;
  keepalive: number;
  hasWill: boolean;
}

export interface ConnectDecision {
  returnCode: 0 | 2 | 4 | 5;
  deviceId?: string;
  reason: string;
}

export interface ConnectRulesContext {
  secretOf(deviceId: string): string | undefined;
  isFrozen(deviceId: string): boolean;
  now: number;
  /**
   * Sign type 1: how long after the turn of an hour the previous hour is still accepted, for a
   * login signed at hh:59:59 that arrives after the turn (docs/iotda.md §1.9). The platform's
   * tolerance is UNCONFIRMED; the emulator is strict so a wrong clock shows up in tests.
   */
  signType1GraceMs: number;
}

const HOUR_MS = 3_600_000;

/** Whether a sign type 1 `YYYYMMDDHH` is the current UTC hour at `now`, or the previous one within the grace. */
export function isCurrentHour(timestamp: string, now: number, graceMs: number): boolean {
  // Date.UTC accepts hour 24 and rolls it into the next day, matching how sign type 0 tolerates it.
  const ts = timestamp;
  const at = Date.UTC(+ts.slice(0, 4), +ts.slice(4, 6) - 1, +ts.slice(6, 8), +ts.slice(8, 10));
  if (Number.isNaN(at)) return false;
  const hourStart = now - (((now % HOUR_MS) + HOUR_MS) % HOUR_MS);
  if (at === hourStart) return true;
  return at === hourStart - HOUR_MS && now - hourStart < graceMs;
}

export function decideConnect(f: ConnectFacts, ctx: ConnectRulesContext): ConnectDecision {
  const id = parseClientId(f.clientId);
  if (!id) return { returnCode: 2, reason: `ClientId ${JSON.stringify(f.clientId)} is not {device_id}_0_{0|1}_{YYYYMMDDHH}` };
  if (!(f.keepalive >= 30 && f.keepalive <= 1200)) {
    return { returnCode: 2, deviceId: id.deviceId, reason: `keepalive ${f.keepalive} s is outside 30-1200` };
  }
  // Will messages are "not supported" by IoTDA; how a CONNECT carrying one is answered is
  // UNCONFIRMED. The emulator refuses it with 0x05 so a misconfigured client fails loudly.
  if (f.hasWill) return { returnCode: 5, deviceId: id.deviceId, reason: 'will messages are not supported' };
  if (f.username !== id.deviceId) {
    return { returnCode: 4, deviceId: id.deviceId, reason: `username ${JSON.stringify(f.username)} differs from the device id` };
  }
  const secret = ctx.secretOf(id.deviceId);
  // Unknown device → 0x04 is UNCONFIRMED (could be 0x05); it is what the SDKs report.
  if (secret === undefined) return { returnCode: 4, deviceId: id.deviceId, reason: 'unknown device' };
  if (id.signType === 1 && !isCurrentHour(id.timestamp, ctx.now, ctx.signType1GraceMs)) {
    const current = new Date(ctx.now).toISOString().slice(0, 13).replace(/\D/g, '');
    return { returnCode: 4, deviceId: id.deviceId, reason: `sign type 1 timestamp ${id.timestamp} is not the server's current UTC hour ${current}` };
  }
  // The key is the ClientId's last field, never the emulator's clock (§1.1).
  const expected = Buffer.from(createHmac('sha256', id.timestamp).update(secret, 'utf8').digest('hex'), 'utf8');
  const given = f.password ?? Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { returnCode: 4, deviceId: id.deviceId, reason: 'wrong password (HMAC-SHA256, key = timestamp, message = secret)' };
  }
  // Frozen → 0x05 is UNCONFIRMED.
  if (ctx.isFrozen(id.deviceId)) return { returnCode: 5, deviceId: id.deviceId, reason: 'device is frozen' };
  return { returnCode: 0, deviceId: id.deviceId, reason: 'accepted' };
}
