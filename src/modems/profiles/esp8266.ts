/**
 * ESP8266 with Espressif ESP-AT >= 2.2 (MQTT AT commands); docs/models/esp8266.md.
 * Results are plain finals (no two-phase URCs); payloads go through AT+MQTTPUBRAW, which
 * carries every byte value; values longer than MQTTUSERCFG allows go through the LONG* commands
 * (>= 2.2.2.0) or AT+MQTTCLIENTID/USERNAME/PASSWORD (2.2.0.0, 2.2.1.0).
 */
import type { ModemProfile, ResultTable } from '../profile';

/** `+CWJAP:<code>` before ERROR. */
export const CWJAP_CODES: ResultTable = {
  '1': 'connection timeout',
  '2': 'wrong password',
  '3': 'cannot find the target AP (check the SSID and that it is 2.4 GHz)',
  '4': 'connection failed',
};

/** `ERR CODE:0x01xxyyyy`: the xx part (AT+SYSLOG=1). */
export const ESP_ERR_CATEGORIES: ResultTable = {
  '02': 'no terminator',
  '04': 'parameter length mismatch',
  '06': 'wrong number of parameters',
  '07': 'invalid parameter',
  '08': 'parameter parse failed',
  '09': 'command not supported',
  '0a': 'execution failed',
  '0b': 'busy (previous command still running)',
};

/** `ERR CODE:0x01xxyyyy`: the yyyy part for MQTT commands. */
export const ESP_MQTT_ERR_CODES: ResultTable = {
  '6001': 'MQTT client not configured (MQTTUSERCFG missing)',
  '6004': 'MQTT client already connected or in use (run AT+MQTTCLEAN)',
  '6016': 'client id too long',
  '6019': 'username too long',
  '601c': 'password too long',
  '6043': 'topic too long',
  '6044': 'reading publish data failed',
  '6051': 'MQTT disconnected',
};

/** `AT+MQTTCONN?` state. */
export const ESP_MQTT_STATES: ResultTable = {
  '0': 'not initialised',
  '1': 'MQTTUSERCFG set',
  '2': 'MQTTCONNCFG set',
  '3': 'disconnected',
  '4': 'connected',
  '5': 'connected, no subscription',
  '6': 'connected, subscribed',
};

export const Esp8266Profile: ModemProfile = {
  name: 'esp8266',
  description: 'ESP8266 with ESP-AT >= 2.2 (Wi-Fi), MQTTPUBRAW',
  family: 'esp',
  dialect: 'esp',
  bootBanners: ['ready'],
  // `ready` can be lost with the boot ROM log, which arrives as garbage at 115200; echo comes
  // back on after any reset (docs/models/esp8266.md "Boot").
  rebootOnGarbage: true,
  echoBackIsRestart: true,
  commands: {
    echoOff: 'ATE0',
    sysLog: 'AT+SYSLOG=1',
    gmr: 'AT+GMR',
    mac: 'AT+CIPSTAMAC?',
    wifiMode: 'AT+CWMODE=1',
    wifiJoin: 'AT+CWJAP="{{ssid}}","{{password}}"',
    wifiQuery: 'AT+CWJAP?',
    rssi: 'AT+CWJAP?',
    mqttClean: 'AT+MQTTCLEAN={{idx}}',
    mqttUserCfg: 'AT+MQTTUSERCFG={{idx}},1,"{{clientId}}","{{username}}","{{password}}",0,0,""',
    mqttLongClientId: 'AT+MQTTLONGCLIENTID={{idx}},{{length}}',
    mqttLongUsername: 'AT+MQTTLONGUSERNAME={{idx}},{{length}}',
    mqttLongPassword: 'AT+MQTTLONGPASSWORD={{idx}},{{length}}',
    // ESP-AT 2.1 to 2.2.1 have no LONG* commands; these carry longer values there.
    mqttClientId: 'AT+MQTTCLIENTID={{idx}},"{{value}}"',
    mqttUsername: 'AT+MQTTUSERNAME={{idx}},"{{value}}"',
    mqttPassword: 'AT+MQTTPASSWORD={{idx}},"{{value}}"',
    mqttConnCfg: 'AT+MQTTCONNCFG={{idx}},{{keepalive}},{{disableClean}},"","",0,0',
    mqttConnect: 'AT+MQTTCONN={{idx}},"{{host}}",{{port}},0',
    mqttState: 'AT+MQTTCONN?',
    mqttSubscribe: 'AT+MQTTSUB={{idx}},"{{topic}}",{{qos}}',
    mqttUnsubscribe: 'AT+MQTTUNSUB={{idx}},"{{topic}}"',
    mqttPublish: 'AT+MQTTPUBRAW={{idx}},"{{topic}}",{{length}},{{qos}},0',
    // SNTP on, time zone 0 (UTC), the firmware's default servers (docs/models/esp8266.md, "Network time").
    networkTimeSetup: 'AT+CIPSNTPCFG=1,0',
    networkTime: 'AT+CIPSNTPTIME?',
  },
  urcs: {
    connected: '^\\+MQTTCONNECTED:(\\d+)',
    disconnected: '^\\+MQTTDISCONNECTED:(\\d+)',
    // Partial form: the open line may already hold payload bytes, so no `$`.
    subRecv: '^\\+MQTTSUBRECV:(\\d+),"([^"]*)",(\\d+),',
    wifiJoinCode: '^\\+CWJAP:(\\d+)$',
    errCode: '^ERR CODE:0x01([0-9a-fA-F]{2})([0-9a-fA-F]{4})',
    // `+CWJAP:"<ssid>","<bssid>",<channel>,<rssi>,...`: the SSID is not escaped, so anchor on the BSSID.
    rssi: '^\\+CWJAP:".*","[0-9a-fA-F:]*",\\d+,(-?\\d+)',
  },
  responses: {
    // `+MQTTCONN:<LinkID>,<state>,...`: the state (ESP_MQTT_STATES).
    mqttState: '^\\+MQTTCONN:\\d+,(\\d+)',
    // `+CIPSNTPTIME:Thu Jan  1 00:00:00 1970` (C asctime) until SNTP synced; time zone 0 above, so UTC.
    networkTime: '^\\+CIPSNTPTIME: *[A-Za-z]{3} +(?<monthName>[A-Za-z]{3}) +(?<day>\\d{1,2}) +(?<hour>\\d{1,2}):(?<minute>\\d{1,2}):(?<second>\\d{1,2}) +(?<year>\\d{4})',
  },
  results: {
    cwjap: CWJAP_CODES,
    errCategory: ESP_ERR_CATEGORIES,
    mqttErr: ESP_MQTT_ERR_CODES,
    mqttState: ESP_MQTT_STATES,
  },
  limits: {
    topicBytes: 128,
    payloadBytes: 1024,
    clientIndexes: [0, 0],
    lineBytes: 255,
    hostBytes: 128,
    clientIdBytes: 256,
    usernameBytes: 64,
    passwordBytes: 64,
    mqttBufferBytes: 512,
  },
  timeouts: {
    default: 10_000,
    // The first command after power-up can be lost while the module boots (it is deaf until
    // its application runs, and `ready` may be lost with the ROM log): answered in milliseconds
    // otherwise, so a lost one is found out quickly (docs/models/esp8266.md "Boot").
    echoOff: 2_000,
    wifiJoin: 20_000,
    mqttConnect: 20_000,
    mqttPublish: 10_000,
    attach: 60_000,
    // How long to wait for SNTP to sync after AT+CIPSNTPCFG; a module without it signs with the host clock.
    networkTimeSync: 10_000,
  },
  // ERR CODE lines before ERROR say why a command failed; the driver puts them into its errors.
  init: [{ command: 'sysLog', optional: true, note: 'AT+SYSLOG=1 refused: errors will not carry ERR CODE details' }],
  mqttConfig: [],
  identity: [
    {
      command: 'gmr',
      responsePrefixes: ['AT version', 'SDK version', 'Bin version'],
      fields: { firmware: '^AT version:(\\S+)' },
    },
    { command: 'mac', responsePrefixes: ['+CIPSTAMAC:'], fields: { mac: '^\\+CIPSTAMAC:"([0-9a-fA-F:]+)"' } },
  ],
  attach: { kind: 'wifi', pollMs: 500 },
  publish: { mode: 'raw', refusedBytes: [] },
  minFirmware: '2.2',
  busyRetries: 5,
  settleAfterBootMs: 300,
};
