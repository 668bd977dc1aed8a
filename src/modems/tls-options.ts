/**
 * How an MQTT session uses TLS (docs/security.md, "TLS"): off, on and verified against a CA
 * (the default whenever TLS is on), or on without checking the server, which only a caller
 * who asks for `verify: false` gets. There is no path from a failed verification setup to an
 * unverified connection.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface TlsOptions {
  /** Check the server's certificate against `ca` (default true). */
  verify?: boolean;
  /** PEM of the CA certificate(s) to trust; default: IoTDA's roots shipped in certs/iotda-root-ca.pem. */
  ca?: Buffer | string;
  /** Names the CA in errors ("IoTDA's root CAs", "the CA in /etc/ca.pem"). */
  caLabel?: string;
}

/** `true` means verified TLS with IoTDA's roots; an object says more. */
export type TlsSetting = boolean | TlsOptions;

export type ResolvedTls = { on: false } | { on: true; verify: false } | { on: true; verify: true; ca: Buffer; caLabel: string };

/** IoTDA's device-side roots (DigiCert Global Root CA and GlobalSign Root CA - R3), shipped with the package. */
export const IOTDA_ROOT_CA_FILE = path.join(__dirname, '..', '..', 'certs', 'iotda-root-ca.pem');
export const IOTDA_CA_LABEL = "IoTDA's root CAs (DigiCert Global Root CA, GlobalSign Root CA - R3)";

export function iotdaRootCa(): Buffer {
  return readFileSync(IOTDA_ROOT_CA_FILE);
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Why `pem` is not one or more PEM certificates, or undefined when it is. */
export function caProblem(pem: Buffer | string): string | undefined {
  const text = Buffer.isBuffer(pem) ? pem.toString('latin1') : pem;
  const blocks = text.match(PEM_BLOCK);
  if (!blocks) return 'it holds no PEM certificate (-----BEGIN CERTIFICATE-----)';
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (err) {
      return `a certificate in it does not parse (${(err as Error).message})`;
    }
  }
  return undefined;
}

export function resolveTls(setting: TlsSetting | undefined): ResolvedTls {
  if (!setting) return { on: false };
  const opts: TlsOptions = setting === true ? {} : setting;
  if (opts.verify === false) return { on: true, verify: false };
  if (opts.ca === undefined) return { on: true, verify: true, ca: iotdaRootCa(), caLabel: IOTDA_CA_LABEL };
  const ca = Buffer.isBuffer(opts.ca) ? opts.ca : Buffer.from(opts.ca, 'utf8');
  return { on: true, verify: true, ca, caLabel: opts.caLabel ?? 'the configured CA' };
}
