/**
 * Wi-Fi join for ESP-AT: station mode, then CWJAP with escaped SSID and password. A failed
 * join reports `+CWJAP:<code>` before ERROR; that code becomes the error's meaning.
 */
import type { AttachOptions } from './driver';
import { ModemError } from './errors';
import { meaningOf } from './payload-check';
import type { ProfileCommands } from './profile-commands';

export async function attachWifi(cmds: ProfileCommands, opts: AttachOptions): Promise<void> {
  if (!opts.wifiSsid) throw new ModemError('attach', '', 'wifiSsid is required for a Wi-Fi modem');
  if (opts.wifiPassword) cmds.channel.addSecret(opts.wifiPassword);
  opts.onStep?.('wifi');
  await cmds.run('wifiMode');
  let code: string | undefined;
  const pattern = cmds.pattern('wifiJoinCode');
  // The join's failure code line (`+CWJAP:<code>` on ESP-AT): its prefix is the pattern's literal start.
  const prefix = cmds.urcPrefix('wifiJoinCode');
  const remove = cmds.channel.addUrc({
    name: 'cwjap-code',
    prefix,
    line: pattern,
    onLine: (_line, m) => {
      if (m) code = m[1];
    },
  });
  try {
    await cmds.run(
      'wifiJoin',
      { ssid: opts.wifiSsid, password: opts.wifiPassword ?? '' },
      { errorFinals: ['FAIL'], responsePrefixes: [prefix], ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) },
    );
  } catch (err) {
    if (err instanceof ModemError) {
      const c = code ?? (err.cause as { lines?: string[] } | undefined)?.lines?.map((l) => pattern.exec(l)?.[1]).find(Boolean);
      if (c) throw new ModemError(err.command, `+CWJAP:${c}`, `Wi-Fi join failed: ${meaningOf(cmds.profile, 'cwjap', c)}`, { cause: err });
      throw new ModemError(err.command, err.code, 'Wi-Fi join failed', { cause: err });
    }
    throw err;
  } finally {
    remove();
  }
}
