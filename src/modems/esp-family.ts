/**
 * The ESP-AT family (ESP8266, ESP32 with Espressif ESP-AT): MQTT results as plain finals,
 * `+MQTTSUBRECV`/`+MQTTDISCONNECTED` downlinks, the Wi-Fi join, RSSI signal and the firmware
 * check (docs/models/esp8266.md).
 */
import { attachEspDownlinks } from './esp-downlinks';
import { EspSession } from './esp-session';
import { ModemError } from './errors';
import type { ModemFamily } from './family';
import { attachWifi } from './wifi-attach';

export const espFamily: ModemFamily = {
  requiredCommands: [
    'echoOff', 'gmr', 'wifiMode', 'wifiJoin', 'mqttClean', 'mqttUserCfg', 'mqttConnect',
    'mqttSubscribe', 'mqttUnsubscribe', 'mqttPublish',
  ],
  requiredUrcs: ['disconnected', 'subRecv', 'wifiJoinCode'],
  attachKinds: ['wifi'],
  publishModes: ['raw'],

  createSession: (cmds, clientIndex) => new EspSession(cmds, clientIndex),

  attachDownlinks: (cmds, target) =>
    attachEspDownlinks(cmds, {
      message: (idx, topic, payload) => target.deliver(idx, topic, payload),
      disconnected: (idx) => {
        const s = target.session(idx);
        if (s instanceof EspSession) s.handleDisconnected();
      },
    }),

  attachNetwork: attachWifi,

  async signal(cmds) {
    const pattern = cmds.pattern('rssi');
    const res = await cmds.run('rssi', {}, { responsePrefixes: [cmds.urcPrefix('rssi')] });
    const dbm = res.lines.map((l) => pattern.exec(l)?.[1]).find((v) => v !== undefined);
    if (dbm === undefined) throw new ModemError(res.command, '', 'not joined to a Wi-Fi network');
    const raw = Number(dbm);
    return { raw, dbm: raw, percent: Math.max(0, Math.min(100, 2 * (raw + 100))) };
  },

  runInitStep: async () => false,

  checkIdentity(profile, identity) {
    const min = profile.minFirmware;
    if (!min) return;
    const m = /^(\d+)\.(\d+)/.exec(identity.firmware);
    if (!m) return;
    const [minMajor, minMinor] = min.split('.').map(Number);
    const major = Number(m[1]);
    const minor = Number(m[2]);
    if (major < minMajor || (major === minMajor && minor < minMinor)) {
      throw new ModemError('AT+GMR', `AT version:${identity.firmware}`, `firmware without the MQTT AT commands IoTDA needs: flash Espressif ESP-AT >= ${min}`);
    }
  },
};
