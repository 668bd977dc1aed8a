/**
 * One owner per port path for the whole process (docs/node-red.md §7 rule 4): two modem-config
 * nodes on one port would fight over it and silently mix their settings (node-red-nodes#587).
 */
import { realpathSync } from 'node:fs';

const owners = new Map<string, string>();

/**
 * The path that identifies a port: symlinks such as /dev/serial/by-id/... resolve to the device
 * they point to, so two spellings of one port collide. tcp:// and sim: names are kept as typed.
 */
export function resolvePortPath(port: string): string {
  const p = port.trim();
  if (/^(tcp|sim):/i.test(p)) return p.toLowerCase();
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Claims `path` for `ownerId`; returns the other owner's id when already taken. */
export function claimPort(path: string, ownerId: string): string | undefined {
  const other = owners.get(path);
  if (other && other !== ownerId) return other;
  owners.set(path, ownerId);
  return undefined;
}

export function releasePort(path: string, ownerId: string): void {
  if (owners.get(path) === ownerId) owners.delete(path);
}
