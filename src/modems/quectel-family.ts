/**
 * The Quectel QMT* family (EC2x, BG9x, BC2x): two-phase MQTT sessions, `+QMTRECV`/`+QMTSTAT`
 * downlinks, the cellular attach, CSQ signal and the URC port init step.
 */
import { attachCellular, readCsq } from './cellular-attach';
import type { ModemFamily } from './family';
import { attachQuectelDownlinks } from './quectel-downlinks';
import { QuectelSession } from './quectel-session';
import { configureUrcPort } from './urc-port';

export const quectelFamily: ModemFamily = {
  requiredCommands: [
    'echoOff', 'cpin', 'csq', 'mqttOpen', 'mqttClose', 'mqttConnect', 'mqttDisconnect',
    'mqttSubscribe', 'mqttUnsubscribe', 'mqttPublish',
  ],
  requiredUrcs: ['open', 'close', 'connect', 'disconnect', 'subscribe', 'unsubscribe', 'publish', 'status', 'recvLine'],
  attachKinds: ['cellular-qiact', 'cellular-cgatt'],
  publishModes: ['length', 'ctrlz'],

  createSession: (cmds, clientIndex) => new QuectelSession(cmds, clientIndex),

  attachDownlinks: (cmds, target) =>
    attachQuectelDownlinks(cmds, {
      message: (idx, topic, payload) => target.deliver(idx, topic, payload),
      status: (idx, code) => {
        const s = target.session(idx);
        if (s instanceof QuectelSession) s.handleStatus(code);
        else cmds.note(`ignoring +QMTSTAT: ${idx},${code} for an unused client index`);
      },
      hasLength: (idx) => {
        const s = target.session(idx);
        return (s instanceof QuectelSession ? s.recvLength : undefined) ?? cmds.profile.recvHasLength === true;
      },
    }),

  attachNetwork: attachCellular,

  async signal(cmds) {
    const raw = await readCsq(cmds);
    if (raw === undefined || raw === 99 || raw > 31) return { raw: raw ?? 99 };
    return { raw, dbm: -113 + 2 * raw, percent: Math.round((raw / 31) * 100) };
  },

  async runInitStep(ctx, step) {
    if (step.command !== 'urcPort') return false;
    await configureUrcPort(ctx, step);
    return true;
  },

  checkIdentity: () => undefined,
};
