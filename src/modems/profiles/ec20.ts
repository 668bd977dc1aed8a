/**
 * Quectel EC20 (LTE Cat 4) with the QMT* MQTT stack: docs/models/ec20.md.
 * Publishes with form B (length, no Ctrl-Z), so every byte value is carried.
 */
import type { ModemProfile } from '../profile';
import {
  CME_ERRORS,
  CONNACK_CODES,
  QMTCONN_RESULTS,
  QMTOPEN_RESULTS,
  QMTSTAT_CODES,
  QMT_CLOSE_RESULTS,
  QMT_PACKET_RESULTS,
  REGISTRATION_STATES,
} from './quectel-tables';

export const Ec20Profile: ModemProfile = {
  name: 'ec20',
  description: 'Quectel EC20 (LTE), QMT* MQTT, publish form B (length)',
  family: 'quectel',
  dialect: 'quectel',
  bootBanners: ['RDY', 'APP RDY', 'POWERED DOWN'],
  commands: {
    echoOff: 'ATE0',
    cmee: 'AT+CMEE=1',
    urcPort: 'AT+QURCCFG="urcport","{{urcPort}}"',
    urcPortQuery: 'AT+QURCCFG="urcport"',
    ati: 'ATI',
    imei: 'AT+CGSN',
    cpin: 'AT+CPIN?',
    csq: 'AT+CSQ',
    creg: 'AT+CREG?',
    cgreg: 'AT+CGREG?',
    cereg: 'AT+CEREG?',
    apn: 'AT+QICSGP={{cid}},1,"{{apn}}","{{user}}","{{password}}",{{auth}}',
    pdpQuery: 'AT+QIACT?',
    pdpActivate: 'AT+QIACT={{cid}}',
    cfgVersion: 'AT+QMTCFG="version",{{idx}},4',
    cfgVersion31: 'AT+QMTCFG="version",{{idx}},3',
    cfgPdp: 'AT+QMTCFG="pdpcid",{{idx}},{{cid}}',
    cfgKeepalive: 'AT+QMTCFG="keepalive",{{idx}},{{keepalive}}',
    cfgSession: 'AT+QMTCFG="session",{{idx}},{{clean}}',
    cfgTimeout: 'AT+QMTCFG="timeout",{{idx}},{{pktSeconds}},{{retries}},0',
    cfgRecvMode: 'AT+QMTCFG="recv/mode",{{idx}},0,1',
    cfgSsl: 'AT+QMTCFG="ssl",{{idx}},{{enable}},{{ctx}}',
    sslVersion: 'AT+QSSLCFG="sslversion",{{ctx}},4',
    sslCiphers: 'AT+QSSLCFG="ciphersuite",{{ctx}},0XFFFF',
    // 0 encrypts without checking the server; 1 verifies it against "cacert" (docs/security.md).
    sslSecLevel: 'AT+QSSLCFG="seclevel",{{ctx}},{{level}}',
    sslCaCert: 'AT+QSSLCFG="cacert",{{ctx}},"{{name}}"',
    fileList: 'AT+QFLST="*"',
    fileDelete: 'AT+QFDEL="{{name}}"',
    fileUpload: 'AT+QFUPL="{{name}}",{{size}},{{wait}}',
    mqttOpen: 'AT+QMTOPEN={{idx}},"{{host}}",{{port}}',
    mqttClose: 'AT+QMTCLOSE={{idx}}',
    mqttConnect: 'AT+QMTCONN={{idx}},"{{clientId}}","{{username}}","{{password}}"',
    mqttDisconnect: 'AT+QMTDISC={{idx}}',
    mqttSubscribe: 'AT+QMTSUB={{idx}},{{mid}},"{{topic}}",{{qos}}',
    mqttUnsubscribe: 'AT+QMTUNS={{idx}},{{mid}},"{{topic}}"',
    mqttPublish: 'AT+QMTPUB={{idx}},{{mid}},{{qos}},0,"{{topic}}",{{length}}',
    // Mode 1: the current GMT time the module keeps from the last NITZ (docs/models/ec20.md, "Network time").
    networkTime: 'AT+QLTS=1',
  },
  urcs: {
    open: '^\\+QMTOPEN: {{idx}},(-?\\d+)',
    close: '^\\+QMTCLOSE: {{idx}},(-?\\d+)',
    connect: '^\\+QMTCONN: {{idx}},(\\d+)(?:,(\\d+))?',
    disconnect: '^\\+QMTDISC: {{idx}},(-?\\d+)',
    // Result 1 (retransmitting) is a progress report, not the outcome: wait for 0 or 2.
    subscribe: '^\\+QMTSUB: {{idx}},{{mid}},([02])(?:,(\\d+))?',
    unsubscribe: '^\\+QMTUNS: {{idx}},{{mid}},([02])',
    publish: '^\\+QMTPUB: {{idx}},{{mid}},([02])(?:,(\\d+))?',
    status: '^\\+QMTSTAT: (\\d+),(\\d+)',
    // The SIM application is up after a restart: the module answers AT from here on.
    bootReady: '^\\+CPIN: *READY',
    // Partial form: tested against the open line, which may already hold payload bytes, so no `$`.
    // Spaces after the commas are allowed: Quectel's own BC28 MQTT manual prints
    // `+QMTRECV: 0,0, "topic", "payload"` (docs/models/bc26.md, "Downlinks").
    recvWithLength: '^\\+QMTRECV: *(\\d+), *(\\d+), *"([^"]*)", *(\\d+), *"',
    recvLine: '^\\+QMTRECV: *(\\d+), *(\\d+), *"([^"]*)", *(.*)$',
  },
  responses: {
    cpin: '^\\+CPIN: *(.+?) *$',
    csq: '^\\+CSQ: *(\\d+)',
    // Query answers are `+CEREG: <n>,<stat>[,...]`; the stat is the second field.
    creg: '^\\+CREG: *\\d+, *(\\d+)',
    cgreg: '^\\+CGREG: *\\d+, *(\\d+)',
    cereg: '^\\+CEREG: *\\d+, *(\\d+)',
    // `+QIACT: <cid>,<state>,...` for each context; the driver's MQTT client uses context 1.
    pdpQuery: '^\\+QIACT: *1, *(\\d+)',
    urcPortQuery: '^\\+QURCCFG: *"urcport" *, *"([^"]*)"',
    // `+QFLST: "<name>",<size>`; the name may or may not carry its `UFS:` prefix (docs/models/ec20.md, "Verified TLS").
    fileList: '^\\+QFLST: *"(?:UFS:)?([^"]*)" *, *(\\d+)',
    fileUpload: '^\\+QFUPL: *(\\d+) *, *([0-9A-Fa-f]+)',
    // `+QLTS: "yyyy/MM/dd,hh:mm:ss±zz,dst"`; in mode 1 the time is GMT, so the zone is not applied.
    // `+QLTS: ""` before the network sent its time does not match: no network time.
    networkTime: '^\\+QLTS: *"(?<year>\\d{4})/(?<month>\\d{1,2})/(?<day>\\d{1,2}),(?<hour>\\d{1,2}):(?<minute>\\d{1,2}):(?<second>\\d{1,2})',
  },
  results: {
    qmtopen: QMTOPEN_RESULTS,
    qmtconn: QMTCONN_RESULTS,
    connack: CONNACK_CODES,
    qmtsub: QMT_PACKET_RESULTS,
    qmtuns: QMT_PACKET_RESULTS,
    qmtpub: QMT_PACKET_RESULTS,
    qmtclose: QMT_CLOSE_RESULTS,
    qmtstat: QMTSTAT_CODES,
    cme: CME_ERRORS,
    registration: REGISTRATION_STATES,
  },
  limits: {
    topicBytes: 128,
    // BG96 documents 1548; EC20's own limit is unconfirmed, so stay at the smaller known one.
    payloadBytes: 1548,
    clientIndexes: [0, 5],
    lineBytes: 0,
    hostBytes: 100,
  },
  timeouts: {
    default: 5000,
    // The first command of init: a module that is up answers at once; one that boots (its
    // RDY on another port, or lost) is then waited for with AT probes (docs/models/ec20.md, "Boot").
    echoOff: 1000,
    // Power-on to RDY takes up to ~30 s (capture quectel_2.txt).
    boot: 35_000,
    cpin: 5000,
    csq: 1000,
    pdpActivate: 150_000,
    // A CA file of a few KB at 9600 baud takes ~3 s; the module itself waits UPLOAD_WAIT_S for data.
    fileUpload: 30_000,
    mqttOpen: 120_000,
    mqttClose: 30_000,
    mqttConnect: 30_000,
    mqttDisconnect: 31_000,
    mqttSubscribe: 30_000,
    mqttUnsubscribe: 30_000,
    // pkt_timeout 5 s × 3 retries = 15 s, plus margin.
    mqttPublish: 20_000,
    attach: 180_000,
  },
  init: [
    { command: 'cmee' },
    {
      command: 'urcPort',
      optional: true,
      note: 'URC port setting refused: +QMT* URCs may go to another port of the module than this one',
    },
  ],
  // Every setting the connection can live without is optional: older firmware lacks some of
  // them (docs/models/ec20.md, "Firmware variants"), and each refusal is a trace note.
  mqttConfig: [
    { command: 'cfgVersion', optional: true, note: 'QMTCFG "version" refused: the firmware default MQTT version applies (IoTDA accepts 3.1 and 3.1.1)' },
    { command: 'cfgPdp', optional: true, note: 'QMTCFG "pdpcid" refused: the client uses PDP context 1, the default' },
    { command: 'cfgKeepalive', optional: true, note: 'QMTCFG "keepalive" refused: the firmware default (120 s) applies' },
    { command: 'cfgSession', optional: true, note: 'QMTCFG "session" refused: the firmware default (clean session) applies' },
    { command: 'cfgTimeout', optional: true, note: 'QMTCFG "timeout" refused: the firmware defaults apply' },
    {
      command: 'cfgRecvMode',
      optional: true,
      enables: 'recvLength',
      note: 'QMTCFG "recv/mode" refused by this firmware: downlinks arrive without a length field',
    },
  ],
  identity: [
    {
      command: 'ati',
      responsePrefixes: [''],
      // The BC26 prints its model as `Quectel_BC26` (docs/models/bc26.md, "Identity").
      fields: { model: '^(?:Quectel_)?((?:EC|EG|EM|BG|BC|UC|EP)\\w+)$', firmware: '^Revision: *(.+)$' },
    },
    { command: 'imei', responsePrefixes: [''], fields: { imei: '^(\\d{14,17})$' } },
  ],
  attach: {
    kind: 'cellular-qiact',
    registration: ['creg', 'cgreg', 'cereg'],
    noSignalCsq: [99],
    pollMs: 1000,
  },
  publish: { mode: 'length', refusedBytes: [] },
  recvHasLength: true,
};
