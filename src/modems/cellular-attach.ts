/**
 * Cellular attach for Quectel modules: SIM ready, signal, registration (stat 1 or 5), then
 * the data path: QICSGP + QIACT (EC20 family, QIACT only when inactive, docs/at-pitfalls.md P7; docs/models/ec20.md) or the PDN that
 * comes with the NB-IoT attach (BC26 family, wait for +CGATT: 1 or +IP).
 */
import type { AttachOptions } from './driver';
import { ModemError } from './errors';
import { meaningOf } from './payload-check';
import { isSkippable, type ProfileCommands } from './profile-commands';

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The circuit-switched registration query: it says nothing about the data path. */
const CIRCUIT_SWITCHED = 'creg';

/** The stat of each registration query that answered, by template name (`creg`, `cgreg`, `cereg`). */
async function readRegistration(cmds: ProfileCommands, queries: string[]): Promise<Record<string, string>> {
  const stats: Record<string, string> = {};
  for (const query of queries) {
    const res = await cmds.run(query, {}, { responsePrefixes: [`+${query.toUpperCase()}:`] });
    // Query answers are `+CEREG: <n>,<stat>[,...]`; the stat is the second field.
    const m = /^\+C\w*REG: *\d+, *(\d+)/.exec(res.lines[0] ?? '');
    if (!m) continue;
    stats[query] = m[1];
    // One packet-switched registration is enough: the rest need not be asked.
    if (query !== CIRCUIT_SWITCHED && (m[1] === '1' || m[1] === '5')) break;
  }
  return stats;
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
      const res = await cmds.run('cpin', {}, { responsePrefixes: ['+CPIN:'] });
      lastSim = res.lines[0] ?? '';
      if (/^\+CPIN: *READY/.test(lastSim)) break;
      if (/PIN|PUK/.test(lastSim)) throw new ModemError(res.command, lastSim, 'the SIM is locked: remove the PIN with a phone or unlock it first');
    } catch (err) {
      if (!isSkippable(err)) throw err;
      const cme = /\+CME ERROR: *(\d+)/.exec(err.code)?.[1];
      if (cme && FATAL_SIM_CME.has(cme)) throw err;
      if (!cme && err.code) lastSim = err.code;
      if (timeLeft() <= pollMs) throw err;
    }
    if (timeLeft() <= pollMs) throw new ModemError('AT+CPIN?', lastSim, 'SIM not ready before the attach deadline');
    await delay(pollMs);
  }

  // Registration
  opts.onStep?.('network');
  let lastStat = '';
  let lastCsq = -1;
  for (;;) {
    const csq = await cmds.run('csq', {}, { responsePrefixes: ['+CSQ:'] });
    lastCsq = Number(/\+CSQ: *(\d+)/.exec(csq.lines[0] ?? '')?.[1] ?? -1);
    const stats = await readRegistration(cmds, spec.registration ?? []);
    const registered = isRegistered(stats);
    const answered = Object.values(stats);
    if (answered.length > 0) lastStat = answered.find((s) => s !== '3') ?? answered[0];
    // Denied is final only when every registration says so: a data-only SIM is denied
    // circuit-switched service (+CREG: 0,3) and still carries data (docs/models/ec20.md, "Registration").
    if (!registered && answered.length > 0 && answered.every((s) => s === '3')) {
      const which = Object.keys(stats).map((q) => `AT+${q.toUpperCase()}?`).join(', ');
      throw new ModemError(which, 'stat 3', meaningOf(profile, 'registration', 3));
    }
    const noSignal = (spec.noSignalCsq ?? [99]).includes(lastCsq);
    if (registered && !noSignal) break;
    if (timeLeft() <= pollMs) {
      if (!registered) {
        throw new ModemError('AT+CEREG?', lastStat ? `stat ${lastStat}` : '', `not registered before the attach deadline: ${lastStat ? meaningOf(profile, 'registration', lastStat) : 'no answer'} (CSQ ${lastCsq})`);
      }
      throw new ModemError('AT+CSQ', `+CSQ: ${lastCsq}`, 'no usable signal (check the antenna)');
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
    const state = await cmds.run('pdpQuery', {}, { responsePrefixes: ['+QIACT:'] });
    // QIACT=1 answers ERROR when the context is already active, so only activate when it is not.
    if (!state.lines.some((l) => /^\+QIACT: *1,1/.test(l))) {
      await cmds.run('pdpActivate', { cid: 1 }, { timeoutMs: Math.max(1000, Math.min(cmds.timeout('pdpActivate'), timeLeft())) });
    }
    return;
  }
  if (opts.apn) {
    await cmds.runStep({ command: 'apn', optional: true, note: 'AT+QCGDEFCONT refused; the network default APN applies' }, { apn: opts.apn });
  }
  let gotIp = false;
  const removeIp = cmds.channel.addUrc({
    name: 'attach-ip',
    prefix: '+IP:',
    ...(profile.urcs.ip ? { line: cmds.pattern('ip') } : {}),
    onLine: () => {
      gotIp = true;
    },
  });
  try {
    for (;;) {
      if (gotIp) return;
      const res = await cmds.run('attachQuery', {}, { responsePrefixes: ['+CGATT:'] });
      if (res.lines.some((l) => /^\+CGATT: *1/.test(l))) return;
      if (timeLeft() <= pollMs) throw new ModemError(res.command, res.lines[0] ?? '', 'packet domain not attached before the attach deadline');
      await delay(pollMs);
    }
  } finally {
    removeIp();
  }
}
