/**
 * mqtt-at-connect's TLS verification setting (docs/security.md, "Choosing the TLS verification"):
 * `iotda` (the default, also for flows saved before the setting existed) verifies the server
 * with IoTDA's root CAs shipped in certs/; `custom` with the user's CA, a PEM in the node's
 * credentials or a file on the Node-RED host; `none` encrypts without checking the server, and
 * the status says so while connected.
 */
import { readFileSync } from 'node:fs';
import { caProblem, type TlsSetting } from '../modems/tls-options';

export const TLS_VERIFY_CHOICES = ['iotda', 'custom', 'none'] as const;
export type TlsVerifyChoice = (typeof TLS_VERIFY_CHOICES)[number];

type Translate = (key: string, params?: Record<string, unknown>) => string;

export interface TlsConfig {
  tls?: boolean | string;
  tlsVerify?: string;
  caFile?: string;
}

/** What the connection passes to the link, or why the setting cannot be used (a translated error). */
export function tlsSettingOf(config: TlsConfig, caPem: string | undefined, _: Translate): { tls: TlsSetting; invalid?: undefined } | { invalid: string } {
  if (!(config.tls === true || config.tls === 'true')) return { tls: false };
  const choice = config.tlsVerify === undefined || config.tlsVerify === '' ? 'iotda' : config.tlsVerify;
  if (choice === 'iotda') return { tls: true };
  if (choice === 'none') return { tls: { verify: false } };
  if (choice !== 'custom') return { invalid: _('iotda-at.errors.invalidTlsVerify', { value: choice }) };
  const pem = (caPem ?? '').trim();
  const file = String(config.caFile ?? '').trim();
  // The pasted PEM wins over a file path: it is what the user sees in the dialog.
  if (pem) {
    const problem = caProblem(pem);
    return problem ? { invalid: _('iotda-at.errors.invalidCa', { source: 'PEM', reason: problem }) } : { tls: { ca: `${pem}\n`, caLabel: 'the CA pasted in the connection' } };
  }
  if (!file) return { invalid: _('iotda-at.errors.missingCa') };
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    return { invalid: _('iotda-at.errors.unreadableCa', { file, reason: (err as Error).message }) };
  }
  const problem = caProblem(bytes);
  return problem ? { invalid: _('iotda-at.errors.invalidCa', { source: file, reason: problem }) } : { tls: { ca: bytes, caLabel: `the CA in ${file}` } };
}

/** True when the setting encrypts without checking the server. */
export function isUnverified(tls: TlsSetting): boolean {
  return typeof tls === 'object' && tls.verify === false;
}
