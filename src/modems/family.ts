/**
 * A modem family: what differs in code (not in profile data) between the Quectel QMT* modules
 * and ESP-AT, chosen once per driver from `profile.family`, as Zephyr's modem drivers choose a
 * vendor configuration. The generic driver asks its family and never tests the family's name.
 */
import type { AttachOptions, ModemIdentity, MqttSession, SignalQuality } from './driver';
import type { HostInterface } from './host-interface';
import type { AttachSpec, InitStep, ModemProfile, PublishSpec } from './profile';
import type { ProfileCommands } from './profile-commands';
import type { SessionOpenOptions } from './quectel-session';
import type { TlsSetting } from './tls-options';

/** A session as the driver handles it: the public MqttSession plus what a restart needs. */
export interface FamilySession extends MqttSession {
  open(host: string, port: number, tls: TlsSetting, opts?: SessionOpenOptions): Promise<void>;
  /** The module restarted: the session is gone without a word from the module. */
  reset(): void;
}

/** Where a family's downlink parser hands what it reads. */
export interface DownlinkTarget {
  deliver(clientIndex: number, topic: string, payload: Buffer): void;
  /** The session of a client index, undefined when none was created. */
  session(clientIndex: number): FamilySession | undefined;
}

/** What a family's own init steps need from the driver. */
export interface InitContext {
  cmds: ProfileCommands;
  /** The module interface the host is on, when it can be told. */
  hostInterface?: HostInterface;
  /** Why hostInterface is what it is, for the log. */
  hostInterfaceReason: string;
  /** A note that is logged even without an AT trace. */
  notice(text: string): void;
}

export interface ModemFamily {
  /** Command templates and URC patterns the family's code runs; a profile missing one is refused at load. */
  readonly requiredCommands: readonly string[];
  readonly requiredUrcs: readonly string[];
  /** The attach procedures and publish modes the family implements. */
  readonly attachKinds: readonly AttachSpec['kind'][];
  readonly publishModes: readonly PublishSpec['mode'][];
  createSession(cmds: ProfileCommands, clientIndex: number): FamilySession;
  /** Installs the downlink URC handlers; returns their remover. */
  attachDownlinks(cmds: ProfileCommands, target: DownlinkTarget): () => void;
  attachNetwork(cmds: ProfileCommands, opts: AttachOptions): Promise<void>;
  signal(cmds: ProfileCommands): Promise<SignalQuality>;
  /** Runs an init step the family handles itself (resolves true), or resolves false for a plain profile step. */
  runInitStep(ctx: InitContext, step: InitStep): Promise<boolean>;
  /** Throws when the identity read at init shows a module the driver cannot use. */
  checkIdentity(profile: ModemProfile, identity: ModemIdentity): void;
}
