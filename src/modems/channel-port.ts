/**
 * The part of the AT channel the driver uses (the contract in src/at/types.ts). Declared
 * here so a driver can be built on any channel with this shape, e.g. one shared with
 * other code on the same port.
 */
import type { EventEmitter } from 'node:events';
import type { AtCommandOptions, AtResponse, UrcHandler } from '../at/types';

export interface AtChannelPort extends EventEmitter {
  command(opts: AtCommandOptions): Promise<AtResponse>;
  addUrc(handler: UrcHandler): () => void;
  addSecret(secret: string): void;
  render(template: string, view: Record<string, unknown>): string;
  close(): Promise<void>;
}
