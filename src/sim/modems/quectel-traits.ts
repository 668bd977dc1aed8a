/** What differs between the emulated Quectel models, as data (the dialect code is shared). */
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
