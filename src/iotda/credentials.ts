/**
 * Huawei IoTDA secret-mode CONNECT credentials (docs/iotda.md §1.1).
 * The password is HMAC-SHA256 with the *timestamp* as key and the *secret* as message;
 * Huawei's formula text lists the arguments the other way round, which is a classic trap.
 */
import { createHmac } from 'node:crypto';
import { IotdaError } from './errors';

/** 0: timestamp not checked against the platform clock; 1: checked (needs a synced host clock). */
export type SignType = 0 | 1;

export interface IotdaCredentials {
  clientId: string;
  username: string;
  password: string;
  /** The `YYYYMMDDHH` UTC hour used both in the ClientId and as the HMAC key. */
  timestamp: string;
}

const DEVICE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Throws IotdaError('bad-device-id') with the reason when `id` is not a valid IoTDA device id. */
export function validateDeviceId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0) {
    throw new IotdaError('bad-device-id', 'device id is empty');
  }
  if (id.length > 128) {
    throw new IotdaError('bad-device-id', `device id is ${id.length} characters long, at most 128 allowed`);
  }
  if (!DEVICE_ID.test(id)) {
    const bad = [...id].find((c) => !/[A-Za-z0-9_-]/.test(c));
    throw new IotdaError(
      'bad-device-id',
      `device id contains ${JSON.stringify(bad)}; only letters, digits, "_" and "-" are allowed`,
    );
  }
  return id;
}

/** The UTC hour as `YYYYMMDDHH`, independent of the host's local time zone. */
export function iotdaTimestamp(now: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    String(now.getUTCFullYear()).padStart(4, '0') +
    pad(now.getUTCMonth() + 1) +
    pad(now.getUTCDate()) +
    pad(now.getUTCHours())
  );
}

/** Lowercase hex HMAC-SHA256, key = timestamp, message = secret. */
export function iotdaPassword(secret: string, timestamp: string): string {
  return createHmac('sha256', timestamp).update(secret, 'utf8').digest('hex');
}

export function iotdaCredentials(
  deviceId: string,
  secret: string,
  opts: { signType?: SignType; now?: Date } = {},
): IotdaCredentials {
  validateDeviceId(deviceId);
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new IotdaError('bad-secret', 'device secret is empty');
  }
  const signType = opts.signType ?? 0;
  if (signType !== 0 && signType !== 1) {
    throw new IotdaError('bad-sign-type', `sign type must be 0 or 1, got ${String(signType)}`);
  }
  const timestamp = iotdaTimestamp(opts.now ?? new Date());
  return {
    clientId: `${deviceId}_0_${signType}_${timestamp}`,
    username: deviceId,
    password: iotdaPassword(secret, timestamp),
    timestamp,
  };
}
