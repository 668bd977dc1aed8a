/**
 * One modem shared by every IoTDA connection that uses it (one per modem-config node).
 * It opens the port, initialises the modem and attaches to the network once, however many
 * links ask at the same time, and forgets all of that when the modem reboots or the port
 * goes away, so the next `ready()` starts from a fresh transport (a re-resolved path).
 */
import { EventEmitter } from 'node:events';
import type { AttachOptions, ModemDriver, ModemIdentity, PublishLimits } from '../modems/driver';

export type ModemStep = 'port' | 'modem' | 'sim' | 'network' | 'pdp' | 'wifi';

export interface ModemSupervisorOptions {
  /** Creates a transport and a driver on it (not opened yet). Called again after every loss. */
  createDriver(): Promise<ModemDriver> | ModemDriver;
  /** Network settings for `attachNetwork` (APN or Wi-Fi). */
  attach?: Omit<AttachOptions, 'onStep'>;
  /** Secrets redacted in traces, registered with each new driver. */
  secrets?: string[];
  /** Called with driver-level notes (never with secrets). */
  log?: (level: 'info' | 'warn', text: string) => void;
}

/**
 * Events:
 * - `lost` (reason: string): the modem rebooted, the port closed or the modem stopped answering;
 *   every session on it is gone.
 */
export class ModemSupervisor extends EventEmitter {
  private driver: ModemDriver | undefined;
  private pending: Promise<ModemDriver> | undefined;
  private readonly stepListeners = new Set<(step: ModemStep) => void>();
  private readonly secrets = new Set<string>();
  private detach: (() => void) | undefined;
  /** The driver of a bring-up in flight, so close() can cut it short. */
  private starting: ModemDriver | undefined;
  private closed = false;
  identity: ModemIdentity | undefined;

  constructor(private readonly opts: ModemSupervisorOptions) {
    super();
    for (const s of opts.secrets ?? []) if (s) this.secrets.add(s);
  }

  /** The driver when the modem is initialised and attached, else undefined. */
  get current(): ModemDriver | undefined {
    return this.driver;
  }

  /** Registers a value to redact from AT traces (device secrets, HMAC passwords). */
  addSecret(secret: string): void {
    if (!secret) return;
    this.secrets.add(secret);
    this.driver?.addSecret?.(secret);
  }

  /** The current modem's publish limits, undefined while no modem is up. */
  get publishLimits(): PublishLimits | undefined {
    return this.driver?.publishLimits;
  }

  /**
   * Resolves with an initialised, attached driver. Concurrent callers share one attempt;
   * each one's `onStep` sees the progress.
   */
  async ready(onStep?: (step: ModemStep) => void): Promise<ModemDriver> {
    if (this.closed) throw new Error('the modem is closed');
    if (this.driver) return this.driver;
    if (onStep) this.stepListeners.add(onStep);
    try {
      if (!this.pending) {
        this.pending = this.bringUp().finally(() => {
          this.pending = undefined;
        });
      }
      return await this.pending;
    } finally {
      if (onStep) this.stepListeners.delete(onStep);
    }
  }

  private step(s: ModemStep): void {
    for (const l of this.stepListeners) {
      try {
        l(s);
      } catch {
        // A status display must never break the bring-up.
      }
    }
  }

  private async bringUp(): Promise<ModemDriver> {
    this.step('port');
    const driver = await this.opts.createDriver();
    if (this.closed) {
      await driver.close().catch(() => undefined);
      throw new Error('the modem is closed');
    }
    this.starting = driver;
    for (const s of this.secrets) driver.addSecret?.(s);
    const onReboot = () => this.lose(driver, 'the modem restarted');
    const onClosed = (reason?: Error) => this.lose(driver, `the port closed${reason ? `: ${reason.message}` : ''}`);
    // The AT channel saw N command timeouts in a row, or a resync with no OK: the modem hangs.
    const onUnresponsive = (reason: string) => this.lose(driver, `the modem stopped answering (${reason})`);
    driver.on('reboot', onReboot);
    driver.on('closed', onClosed);
    driver.on('unresponsive', onUnresponsive);
    const detach = () => {
      driver.off('reboot', onReboot);
      driver.off('closed', onClosed);
      driver.off('unresponsive', onUnresponsive);
    };
    try {
      this.step('modem');
      this.identity = await driver.init();
      if (this.closed) throw new Error('the modem is closed');
      await driver.attachNetwork({ ...(this.opts.attach ?? {}), onStep: (s) => this.step(s as ModemStep) });
      if (this.closed) throw new Error('the modem is closed');
    } catch (err) {
      detach();
      await driver.close().catch(() => undefined);
      throw err;
    } finally {
      this.starting = undefined;
    }
    this.driver = driver;
    this.detach = detach;
    return driver;
  }

  private lose(driver: ModemDriver, reason: string): void {
    if (this.driver !== driver) return;
    this.detach?.();
    this.detach = undefined;
    this.driver = undefined;
    this.identity = undefined;
    this.opts.log?.('warn', `modem lost: ${reason}`);
    // Close so the next ready() opens a fresh transport; a rebooted USB modem re-enumerates.
    driver.close().catch(() => undefined);
    this.emit('lost', reason);
  }

  /**
   * Reports an external sign that the modem is gone (e.g. idle probes that timed out). With
   * `driver`, only when that driver is still the current one: a late verdict about a modem
   * that was already lost and reopened must not take the fresh one down.
   */
  markLost(reason: string, driver?: ModemDriver): void {
    if (!this.driver || (driver && driver !== this.driver)) return;
    this.lose(this.driver, reason);
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = this.pending;
    const driver = this.driver;
    this.detach?.();
    this.detach = undefined;
    this.driver = undefined;
    if (driver) await driver.close().catch(() => undefined);
    // Closing the driver being brought up fails its pending AT command at once.
    if (this.starting) await this.starting.close().catch(() => undefined);
    // A bring-up in flight closes its own driver when it sees `closed`.
    if (pending) await pending.then(() => undefined, () => undefined);
  }
}
