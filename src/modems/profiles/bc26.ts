/**
 * Quectel BC26 (NB-IoT). Differences from the EC20 (docs/models/bc26.md): sleep, PSM and eDRX
 * off at init, no QIACT (the PDN comes with the attach), MQTT 3.1.1 set explicitly with a
 * fallback to 3.1, publish form A (`>` then Ctrl-Z) which cannot carry 0x1A/0x1B/NUL/CR/LF,
 * and `+QMTRECV` without a length field.
 */
import type { ModemProfile } from '../profile';
import { Ec20Profile } from './ec20';

function withoutKeys(commands: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(commands).filter(([k]) => !keys.includes(k)));
}

export const Bc26Profile: ModemProfile = {
  ...Ec20Profile,
  name: 'bc26',
  description: 'Quectel BC26 (NB-IoT), QMT* MQTT, publish form A (Ctrl-Z), JSON payloads',
  bootBanners: ['Leaving the BROM', 'RDY'],
  commands: {
    // No TLS on BC26 (docs/iotda.md §1.2, docs/models/bc26.md): without cfgSsl the driver refuses tls=true clearly.
    ...withoutKeys(Ec20Profile.commands, ['cfgSsl', 'sslVersion', 'sslCiphers', 'sslSecLevel', 'cfgRecvMode', 'pdpQuery', 'pdpActivate']),
    sleepOff: 'AT+QSCLK=0',
    psmOff: 'AT+CPSMS=0',
    edrxOff: 'AT+CEDRXS=0',
    apn: 'AT+QCGDEFCONT="IP","{{apn}}"',
    attachQuery: 'AT+CGATT?',
    ati: 'ATI',
    mqttPublish: 'AT+QMTPUB={{idx}},{{mid}},{{qos}},0,"{{topic}}"',
    // The BC26 keeps the network's time in its RTC (docs/models/bc26.md, "Network time").
    networkTime: 'AT+CCLK?',
  },
  responses: {
    ...withoutKeys(Ec20Profile.responses ?? {}, ['pdpQuery']),
    attachQuery: '^\\+CGATT: *(\\d)',
    // `+CCLK: 2019/1/18,4:9:3GMT+8`: UTC with the zone in hours after it (not applied); the
    // quoted 3GPP form `"yy/MM/dd,hh:mm:ss±zz"` is local time with the zone in quarter hours
    // right after the seconds (applied) (docs/models/bc26.md, "Network time").
    networkTime: '^\\+CCLK: *"?(?<year>\\d{4}|\\d{2})/(?<month>\\d{1,2})/(?<day>\\d{1,2}),(?<hour>\\d{1,2}):(?<minute>\\d{1,2}):(?<second>\\d{1,2})(?<zone>[+-]\\d{1,2})?',
  },
  urcs: {
    ...Ec20Profile.urcs,
    ip: '^\\+IP: *(.+)$',
  },
  limits: {
    ...Ec20Profile.limits,
    payloadBytes: 1024,
  },
  timeouts: {
    ...Ec20Profile.timeouts,
    mqttOpen: 75_000,
    // pkt_timeout defaults to 10 s on BC2x; 10 s × 3 retries plus margin.
    mqttPublish: 35_000,
    attachQuery: 2000,
    attach: 120_000,
  },
  init: [
    { command: 'cmee' },
    // The UART goes deaf in sleep, PSM or eDRX and downlinks are lost (docs/at-pitfalls.md P11): all three off.
    { command: 'sleepOff' },
    { command: 'psmOff', optional: true, note: 'AT+CPSMS=0 refused: PSM may stay on and downlinks may be lost' },
    { command: 'edrxOff', optional: true, note: 'AT+CEDRXS=0 refused: eDRX may delay downlinks' },
  ],
  // Firmware before the BC26 MQTT application note V1.1 has no QMTCFG "version" at all: both
  // forms fail and MQTT 3.1, its only version, is accepted by IoTDA (docs/models/bc26.md,
  // "Firmware variants").
  mqttConfig: [
    {
      command: 'cfgVersion',
      fallback: 'cfgVersion31',
      optional: true,
      note: 'MQTT 3.1.1 refused by this firmware; using MQTT 3.1 (IoTDA accepts both)',
    },
    { command: 'cfgKeepalive', optional: true, note: 'QMTCFG "keepalive" refused: the firmware default (120 s) applies' },
    { command: 'cfgSession', optional: true, note: 'QMTCFG "session" refused: the firmware default (clean session) applies' },
    { command: 'cfgTimeout', optional: true, note: 'QMTCFG "timeout" refused; modem defaults apply' },
  ],
  attach: {
    kind: 'cellular-cgatt',
    registration: ['cereg'],
    noSignalCsq: [99, 0],
    pollMs: 1000,
  },
  // Form A ends the payload at 0x1A and cancels at 0x1B; NUL, CR and LF are not reliably carried.
  publish: { mode: 'ctrlz', refusedBytes: [0x00, 0x0a, 0x0d, 0x1a, 0x1b], delayAfterPromptMs: 5 },
  recvHasLength: false,
};
