/**
 * Cellular attach for Quectel modules: SIM ready, signal, registration (stat 1 or 5), then
 * the data path: QICSGP + QIACT (EC20 family, QIACT only when inactive, docs/at-pitfalls.md P7; docs/models/ec20.md) or the PDN that
 * comes with the NB-IoT attach (BC26 family, wait for +CGATT: 1 or +IP).
 */
import type { AttachOptions } from './driver';
import { ModemError } from './errors';
import { meaningOf } from './payload-check';
import { escapeRegex, isSkippable, type ProfileCommands } from './profile-commands';

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The circuit-switched registration query: it says nothing about the data path. */
const CIRCUIT_SWITCHED = 'creg';

/** A registration query without a response pattern in the profile: the 3GPP `<prefix> <n>,<stat>` answer. */
const registrationAnswer = (prefix: string) => `^${escapeRegex(prefix)} *\\d+, *(\\d+)`;

/** The CSQ value (0-31, 99 = unknown), undefined when the answer did not carry one. */
export async function readCsq(cmds: ProfileCommands): Promise<number | undefined> {
  const v = (await cmds.query('csq')).values[0];
  return v === undefined ? undefined : Number(v);
}

/** The stat of each registration query that answered, by template name (`creg`, `cgreg`, `cereg`, or a profile's own). */
async function readRegistration(cmds: ProfileCommands, queries: string[]): Promise<{ stats: Record<string, string>; commands: string[] }> {
  const stats: Record<string, string> = {};
  const commands: string[] = [];
  for (const query of queries) {
    const answer = await cmds.query(query, {}, registrationAnswer);
    commands.push(answer.command);
    const stat = answer.values[0];
    if (stat === undefined) continue;
    stats[query] = stat;
    // One packet-switched registration is enough: the rest need not be asked.
    if (query !== CIRCUIT_SWITCHED && (stat === '1' || stat === '5')) break;
  }
  return { stats, commands };
}

/**
 * Registered for data: a packet-switched registration (CGREG, CEREG) says 1 or 5. CREG counts
 * only for a profile that asks nothing else.
 */
export function isRegistered(stats: Record<string, string>): boolean {
  const queries = Object.keys(stats);
  const counted = queries.some((q) => q !== CIRCUIT_SWITCHED) ? queries.filter((q) => q !== CIRCUIT_SWITCHED) : queries;
  return counted.some((q) => stats[q] === '1' || stats[q] === '5');
}

/** CME codes after which waiting cannot help. */
const FATAL_SIM_CME = new Set(['10', '11', '12', '13', '15']);

export async function attachCellular(cmds: ProfileCommands, opts: AttachOptions): Promise<void> {
  const profile = cmds.profile;
  const spec = profile.attach;
  const pollMs = spec.pollMs ?? 1000;
  const deadline = Date.now() + (opts.timeoutMs ?? cmds.timeout('attach'));
  const timeLeft = () => deadline - Date.now();

  // SIM
  opts.onStep?.('sim');
  let lastSim = '';
  for (;;) {
    try {
      const res = await cmds.query('cpin');
      const state = res.values[0] ?? '';
      lastSim = res.lines[0] ?? '';
      if (state === 'READY') break;
      if (/PIN|PUK/.test(state)) throw new ModemError(res.command, lastSim, 'the SIM is locked: remove the PIN with a phone or unlock it first');
    } catch (err) {
      if (!isSkippable(err)) throw err;
      const cme = /\+CME ERROR: *(\d+)/.exec(err.code)?.[1];
      if (cme && FATAL_SIM_CME.has(cme)) throw err;
      if (!cme && err.code) lastSim = err.code;
      if (timeLeft() <= pollMs) throw err;
    }
    if (timeLeft() <= pollMs) throw new ModemError(cmds.render('cpin', {}), lastSim, 'SIM not ready before the attach deadline');
    await delay(pollMs);
  }

  // Registration
  opts.onStep?.('network');
  let lastStat = '';
  let lastCsq = -1;
  for (;;) {
    lastCsq = (await readCsq(cmds)) ?? -1;
    const { stats, commands } = await readRegistration(cmds, spec.registration ?? []);
    const registered = isRegistered(stats);
    const answered = Object.values(stats);
    if (answered.length > 0) lastStat = answered.find((s) => s !== '3') ?? answered[0];
    // Denied is final only when every registration says so: a data-only SIM is denied
    // circuit-switched service (+CREG: 0,3) and still carries data (docs/models/ec20.md, "Registration").
    if (!registered && answered.length > 0 && answered.every((s) => s === '3')) {
      const which = commands.join(', ');
      throw new ModemError(which, 'stat 3', meaningOf(profile, 'registration', 3));
    }
    const noSignal = (spec.noSignalCsq ?? [99]).includes(lastCsq);
    if (registered && !noSignal) break;
    if (timeLeft() <= pollMs) {
      if (!registered) {
        throw new ModemError(commands.join(', ') || 'registration', lastStat ? `stat ${lastStat}` : '', `not registered before the attach deadline: ${lastStat ? meaningOf(profile, 'registration', lastStat) : 'no answer'} (CSQ ${lastCsq})`);
      }
      throw new ModemError(cmds.render('csq', {}), `CSQ ${lastCsq}`, 'no usable signal (check the antenna)');
    }
    await delay(pollMs);
  }

  // Data path
  opts.onStep?.('pdp');
  if (opts.apnPassword) cmds.channel.addSecret(opts.apnPassword);
  if (spec.kind === 'cellular-qiact') {
    if (opts.apn !== undefined || opts.apnUser) {
      await cmds.run('apn', {
        cid: 1,
        apn: opts.apn ?? '',
        user: opts.apnUser ?? '',
        password: opts.apnPassword ?? '',
        auth: opts.apnUser ? 1 : 0,
      });
    }
    const state = await cmds.query('pdpQuery');
    // QIACT=1 answers ERROR when the context is already active, so only activate when it is not.
    if (!state.values.includes('1')) {
      await cmds.run('pdpActivate', { cid: 1 }, { timeoutMs: Math.max(1000, Math.min(cmds.timeout('pdpActivate'), timeLeft())) });
    }
    return;
  }
  if (opts.apn) {
    await cmds.runStep({ command: 'apn', optional: true, note: 'AT+QCGDEFCONT refused; the network default APN applies' }, { apn: opts.apn });
  }
  let gotIp = false;
  // The address URC that may come with the attach (`+IP:` on the BC26), when the profile names one.
  const removeIp = profile.urcs.ip
    ? cmds.channel.addUrc({
        name: 'attach-ip',
        prefix: cmds.urcPrefix('ip'),
        line: cmds.pattern('ip'),
        onLine: () => {
          gotIp = true;
        },
      })
    : () => undefined;
  try {
    for (;;) {
      if (gotIp) return;
      const res = await cmds.query('attachQuery');
      if (res.values.includes('1')) return;
      if (timeLeft() <= pollMs) throw new ModemError(res.command, res.lines[0] ?? '', 'packet domain not attached before the attach deadline');
      await delay(pollMs);
    }
  } finally {
    removeIp();
  }
}
