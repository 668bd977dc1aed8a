/**
 * What differs between the emulated Quectel models and their firmware releases, as data (the
 * dialect code is shared). Sources per fact: docs/models/ec20.md and docs/models/bc26.md.
 */
export interface QuectelTraits {
  model: 'ec20' | 'bc26';
  /** ATI answer lines (before OK). */
  identification: string[];
  /** AT+GMR / AT+CGMR answer. */
  revision: string;
  imei: string;
  /** AT+QMTCFG sub-commands this firmware knows (lower case). */
  qmtcfg: ReadonlySet<string>;
  /** Largest payload accepted after `>` (Ctrl-Z and fixed-length forms). */
  maxDataPayload: number;
  /** Largest inline payload (form D), or 0 when the inline form is not accepted. */
  maxInlinePayload: number;
  /** AT+QMTPUBEX exists. */
  pubex: boolean;
  /** AT+QIACT/QIDEACT/QICSGP exist, and QMTOPEN needs an active PDP context. */
  explicitPdp: boolean;
  /** MQTT version before any QMTCFG "version": 3 = 3.1, 4 = 3.1.1. */
  defaultMqttVersion: 3 | 4;
  /** Default `timeout` packet seconds (EC20 5, BC26 10). */
  defaultPacketTimeoutS: number;
}

export const EC20_TRAITS: QuectelTraits = {
  model: 'ec20',
  identification: ['Quectel', 'EC20F', 'Revision: EC20CEFAGR06A05M4G'],
  revision: 'EC20CEFAGR06A05M4G',
  imei: '866123045678901',
  qmtcfg: new Set(['version', 'pdpcid', 'ssl', 'keepalive', 'session', 'timeout', 'will', 'recv/mode', 'aliauth']),
  maxDataPayload: 4096,
  maxInlinePayload: 0,
  pubex: true,
  explicitPdp: true,
  defaultMqttVersion: 4,
  defaultPacketTimeoutS: 5,
};

export const BC26_TRAITS: QuectelTraits = {
  model: 'bc26',
  identification: ['Quectel_Ltd', 'Quectel_BC26', 'Revision: BC26NBR01A10'],
  revision: 'BC26NBR01A10',
  imei: '867724030123456',
  qmtcfg: new Set(['version', 'keepalive', 'session', 'timeout', 'will', 'aliauth', 'dataformat']),
  maxDataPayload: 1024,
  maxInlinePayload: 700,
  pubex: false,
  explicitPdp: false,
  defaultMqttVersion: 3,
  defaultPacketTimeoutS: 10,
};

/**
 * EC2x firmware without QMTCFG "recv/mode": `+QMTRECV` then never carries a length field
 * (docs/models/ec20.md, "Firmware variants"). The revision string is illustrative.
 */
export const EC20_LEGACY_TRAITS: QuectelTraits = {
  ...EC20_TRAITS,
  identification: ['Quectel', 'EC20F', 'Revision: EC20CEFAR02A08M4G'],
  revision: 'EC20CEFAR02A08M4G',
  qmtcfg: new Set([...EC20_TRAITS.qmtcfg].filter((n) => n !== 'recv/mode')),
};

/**
 * BC26 firmware older than the BC26 MQTT application note V1.1 (2019-04), which added QMTCFG
 * "version" and "dataformat": MQTT 3.1 only (docs/models/bc26.md, "Firmware variants"). The
 * revision string is illustrative.
 */
export const BC26_LEGACY_TRAITS: QuectelTraits = {
  ...BC26_TRAITS,
  identification: ['Quectel_Ltd', 'Quectel_BC26', 'Revision: BC26NBR01A05'],
  revision: 'BC26NBR01A05',
  qmtcfg: new Set([...BC26_TRAITS.qmtcfg].filter((n) => n !== 'version' && n !== 'dataformat')),
};

/** The traits of a model's firmware variant (ModemEmulatorOptions.quectelFirmware). */
export function quectelTraits(model: 'ec20' | 'bc26', firmware: 'current' | 'legacy' = 'current'): QuectelTraits {
  if (model === 'ec20') return firmware === 'legacy' ? EC20_LEGACY_TRAITS : EC20_TRAITS;
  return firmware === 'legacy' ? BC26_LEGACY_TRAITS : BC26_TRAITS;
}
