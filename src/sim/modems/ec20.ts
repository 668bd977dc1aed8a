/**
 * Quectel EC20 (LTE Cat 4) emulator: the shared Quectel dialect plus the EC20's PDP commands
 * (QICSGP/QIACT/QIDEACT), the URC port setting, TLS through QSSLCFG / QMTCFG "ssl" with the CA
 * file on its file system (quectel-ufs.ts), and its power sequences (docs/models/ec20.md, "Boot").
 */
import { intArg, strArg } from './quectel-args';
import { cme, error, ok, QuectelEmulator, type Answer } from './quectel-emulator';
import { quectelTraits } from './quectel-traits';
import { QUECTEL_LINES, byteString, renderQuectelLine } from './quectel-urcs';
import { QuectelUfs } from './quectel-ufs';
import type { ModemEmulatorOptions } from './types';

interface PdpContext {
  type: number;
  apn: string;
  user: string;
  pass: string;
  auth: number;
  active: boolean;
}

/** PB DONE comes well after the other boot URCs, sometimes mid-response. */
const PB_DONE_AFTER_MS = 250;
const URC_PORTS = ['usbat', 'usbmodem', 'uart1'];
/** The URC port value that reaches each host interface (the AT port of the USB interface, or the main UART). */
const URC_PORT_OF_INTERFACE = { usb: 'usbat', uart: 'uart1' } as const;

export class Ec20Emulator extends QuectelEmulator {
  private contexts = new Map<number, PdpContext>();
  /**
   * AT+QURCCFG="urcport": saved in NV memory by the real firmware, so it survives reboots and
   * starts at the factory value "usbat" (docs/models/ec20.md, "URC port").
   */
  private urcPort: string;

  constructor(options: ModemEmulatorOptions) {
    // The UFS map is the module's flash: QSSLCFG "cacert" (quectel-mqtt.ts) reads the same files.
    super(quectelTraits('ec20', options.quectelFirmware), { ...options, model: 'ec20', ufs: options.ufs ?? new Map() });
    this.urcPort = options.urcPort ?? 'usbat';
    this.registerEc20();
    new QuectelUfs(this.options.ufs!, (text) => this.strictViolation(text)).register(this.commands);
  }

  /** URCs go to the port the setting names; the host sees them only on that interface. */
  protected override urcsReachHost(): boolean {
    return this.urcPort === URC_PORT_OF_INTERFACE[this.hostInterface];
  }

  override pdpReady(cid: number): boolean {
    return this.contexts.get(cid)?.active === true && this.networkReady;
  }

  protected override operatorLine(): string {
    return '+COPS: 0,0,"CHN-UNICOM",7';
  }

  protected override resetModelState(): void {
    this.contexts = new Map();
  }

  protected override powerOn(): void {
    this.later(() => {
      this.deaf = false;
      this.urc('RDY');
      this.urc('+CFUN: 1');
      if (!this.simPresent) {
        this.urc('+CPIN: NOT INSERTED');
        return;
      }
      this.urc('+CPIN: READY');
      this.urc('+QUSIM: 1');
      this.urc('+QIND: SMS DONE');
      this.later(() => this.urc('+QIND: PB DONE'), PB_DONE_AFTER_MS);
    }, this.options.bootDelayMs);
  }

  protected override cfunReset(): void {
    this.rebootAfter(this.urcLatency(), () => this.urc('POWERED DOWN'));
  }

  private registerEc20(): void {
    const c = this.commands;
    c.set('+QICSGP', {
      set: {
        shape: { types: ['i', 'i', 's', 's', 's', 'i'], required: 1 },
        run: (a) => {
          const cid = intArg(a, 0)!;
          if (cid < 1 || cid > 16) return error();
          if (a.length === 1) {
            const ctx = this.contexts.get(cid) ?? { type: 1, apn: '', user: '', pass: '', auth: 0, active: false };
            const view = { type: ctx.type, apn: byteString(ctx.apn), user: byteString(ctx.user), pass: byteString(ctx.pass), auth: ctx.auth };
            return ok(renderQuectelLine(QUECTEL_LINES.qicsgp, view));
          }
          const type = intArg(a, 1);
          const auth = intArg(a, 5) ?? 0;
          if (a.length < 3 || type === undefined || type < 1 || type > 3 || auth < 0 || auth > 3) {
            this.strictViolation('AT+QICSGP: expected <cid>,<type 1-3>,"<apn>"[,"<user>","<pass>"[,<auth 0-3>]]');
            return error();
          }
          const prev = this.contexts.get(cid);
          this.contexts.set(cid, { type, apn: strArg(a, 2)!, user: strArg(a, 3) ?? '', pass: strArg(a, 4) ?? '', auth, active: prev?.active ?? false });
          return ok();
        },
      },
    });
    c.set('+QIACT', {
      read: () =>
        ok(
          ...[...this.contexts.entries()]
            .filter(([, ctx]) => ctx.active)
            .map(([cid]) => renderQuectelLine(QUECTEL_LINES.qiact, { cid, ip: this.ipFor(cid) })),
        ),
      set: {
        shape: { types: ['i'] },
        run: (a) => {
          const cid = intArg(a, 0)!;
          if (cid < 1 || cid > 16) return error();
          const ctx = this.contexts.get(cid) ?? { type: 1, apn: '', user: '', pass: '', auth: 0, active: false };
          // The real firmware answers a plain ERROR when the context is already active (capture quectel_1.txt; docs/models/ec20.md, "PDP context").
          if (ctx.active || !this.networkReady) return error();
          ctx.active = true;
          this.contexts.set(cid, ctx);
          return ok();
        },
      },
    });
    c.set('+QIDEACT', {
      set: {
        shape: { types: ['i'] },
        run: (a) => {
          const cid = intArg(a, 0)!;
          if (cid < 1 || cid > 16) return error();
          const ctx = this.contexts.get(cid);
          if (ctx) ctx.active = false;
          return ok();
        },
      },
    });
    c.set('+QURCCFG', {
      test: () => ok('+QURCCFG: "urcport",("usbat","usbmodem","uart1")'),
      set: {
        shape: { types: ['s', 's'], required: 1 },
        run: (a) => {
          if (strArg(a, 0)!.toLowerCase() !== 'urcport') return error();
          if (a.length === 1) return ok(`+QURCCFG: "urcport","${this.urcPort}"`);
          const port = strArg(a, 1)!.toLowerCase();
          if (!URC_PORTS.includes(port)) return error();
          this.urcPort = port;
          return ok();
        },
      },
    });
    const powerDown = (mode: number): Answer => {
      if (mode !== 0 && mode !== 1) return error();
      return {
        kind: 'final',
        final: 'OK',
        then: () => this.powerDownAfter(mode === 1 ? 300 : 20, () => this.urc('POWERED DOWN')),
      };
    };
    c.set('+QPOWD', { exec: () => powerDown(1), set: { shape: { types: ['i'] }, run: (a) => powerDown(intArg(a, 0)!) } });
    c.set('+QINISTAT', { exec: () => (this.simPresent ? ok('+QINISTAT: 7') : cme(10)) });
  }

  private ipFor(cid: number): string {
    return `10.3.118.${129 + cid}`;
  }
}

export function createEc20Emulator(options: ModemEmulatorOptions): Ec20Emulator {
  return new Ec20Emulator(options);
}
