/**
 * Huawei IoTDA secret-mode credentials (PROTOCOLS.md §1.1), computed here so the modem
 * tests do not depend on src/iotda: HMAC-SHA256 keyed with the timestamp over the secret.
 */
import { createHmac } from 'node:crypto';

export interface IotdaCredentials {
  clientId: string;
  username: string;
  password: string;
}

export function iotdaCredentials(deviceId: string, secret: string, now = new Date()): IotdaCredentials {
  const iso = now.toISOString();
  const timestamp = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13);
  return {
    clientId: `${deviceId}_0_0_${timestamp}`,
    username: deviceId,
    password: createHmac('sha256', timestamp).update(secret).digest('hex'),
  };
}
