/** Reads the module's identity with the profile's identity steps (a refused step is a trace note). */
import type { ModemIdentity } from './driver';
import { isSkippable, type ProfileCommands } from './profile-commands';

export async function readIdentity(cmds: ProfileCommands): Promise<ModemIdentity> {
  const identity: ModemIdentity = { model: cmds.profile.name, firmware: 'unknown' };
  for (const step of cmds.profile.identity) {
    let lines: readonly string[] = [];
    try {
      lines = (await cmds.run(step.command, {}, { responsePrefixes: step.responsePrefixes })).lines;
    } catch (err) {
      if (!isSkippable(err)) throw err;
      cmds.note(`identity step ${step.command} failed: ${err.message}`);
    }
    for (const [field, src] of Object.entries(step.fields)) {
      const re = new RegExp(src as string);
      for (const line of lines) {
        const m = re.exec(line.trim());
        if (m) {
          identity[field as 'model' | 'firmware' | 'imei' | 'mac'] = m[1];
          break;
        }
      }
    }
  }
  return identity;
}
