/**
 * Quectel BC26 (NB-IoT, MediaTek MT2625) emulator: the shared Quectel dialect with the BC26
 * differences of docs/models/bc26.md — PDN up at attach (no QIACT; QCGDEFCONT, +IP URC), MQTT 3.1 by
 * default, inline publish, 1024-byte data mode, +QMTRECV without length, the BROM boot banner with
 * LF-CR line ends, AT+QRST=1, and power saving (QSCLK/CPSMS/CEDRXS) that loses downlinks.
 */
import { intArg, strArg } from './quectel-args';
import { error, ok, QuectelEmulator } from './quectel-emulator';
import { quectelTraits } from './quectel-traits';
import { QUECTEL_LINES, byteString, renderQuectelLine } from './quectel-urcs';
import type { ModemEmulatorOptions } from './types';

/**
 * The MT2625 boot ROM banner; LF-CR line ends are what the real part prints, and the
 * bootloader's tag follows without any line end (docs/models/bc26.md, "Boot").
 */
const BROM_BANNER =
  [
    'F1: 0000 0000',
    'V0: 0000 0000 [0001]',
    '00: 0006 000C',
    '01: 0000 0000',
    'U0: 0000 0001 [0000]',
    'T0: 0000 00B4',
    'Leaving the BROM',
  ]
    .map((l) => `${l}\n\r`)
    .join('') + 'BL_V01';

const IP = '10.45.67.89';

export class Bc26Emulator extends QuectelEmulator {
  private apn = '';
  private sclk = 0;
  private psm = 0;
  private edrx = 0;
  private csconUrc = 0;

  constructor(options: ModemEmulatorOptions) {
    super(quectelTraits('bc26', options.quectelFirmware), { ...options, model: 'bc26' });
    this.registerBc26();
  }

  /** The PDN comes up with the attach: ready whenever the network is. */
  override pdpReady(): boolean {
    return this.networkReady;
  }

  /** While any power saving is on, the UART and the radio are mostly asleep: downlinks are lost. */
  override canReceiveDownlink(): boolean {
    return this.sclk === 0 && this.psm === 0 && this.edrx === 0;
  }

  protected override operatorLine(): string {
    return '+COPS: 0,2,"46011",9';
  }

  protected override resetModelState(): void {
    this.apn = '';
    this.sclk = 0;
    this.psm = 0;
    this.edrx = 0;
    this.csconUrc = 0;
  }

  protected override powerOn(): void {
    this.later(() => {
      this.deaf = false;
      this.send(BROM_BANNER);
      if (!this.simPresent) return;
      this.urc('+CPIN: READY');
      if (this.networkReady) this.later(() => this.urc(renderQuectelLine(QUECTEL_LINES.ip, { ip: IP })), 30);
    }, this.options.bootDelayMs);
  }

  protected override cfunReset(): void {
    this.rebootAfter(this.urcLatency());
  }

  private registerBc26(): void {
    const c = this.commands;
    c.set('+QRST', {
      set: {
        shape: { types: ['i'] },
        run: (a) => (intArg(a, 0) === 1 ? { kind: 'final', final: 'OK', then: () => this.rebootAfter(this.urcLatency()) } : error()),
      },
    });
    // The power-down URC is undocumented for the BC26 (docs/models/bc26.md, "Boot"): the emulator goes silent.
    c.set('+QPOWD', {
      set: {
        shape: { types: ['i'] },
        run: (a) => (intArg(a, 0) === 0 ? { kind: 'final', final: 'OK', then: () => this.powerDownAfter(20) } : error()),
      },
    });
    c.set('+QCGDEFCONT', {
      read: () => ok(renderQuectelLine(QUECTEL_LINES.qcgdefcont, { apn: byteString(this.apn) })),
      set: {
        shape: { types: ['s', 's', 's', 's'], required: 1 },
        run: (a) => {
          const type = strArg(a, 0)!.toUpperCase();
          if (!['IP', 'IPV6', 'IPV4V6', 'NONIP'].includes(type)) return error();
          this.apn = strArg(a, 1) ?? '';
          return ok();
        },
      },
    });
    c.set('+CGPADDR', {
      exec: () => ok(this.networkReady ? `+CGPADDR: 1,${IP}` : '+CGPADDR: 1'),
      set: { shape: { types: ['i'] }, run: (a) => (intArg(a, 0) === 1 ? ok(this.networkReady ? `+CGPADDR: 1,${IP}` : '+CGPADDR: 1') : ok()) },
    });
    c.set('+CSCON', {
      read: () => ok(`+CSCON: ${this.csconUrc},${this.networkReady && this.canReceiveDownlink() ? 1 : 0}`),
      set: { shape: { types: ['i'] }, run: (a) => this.setFlag(a, [0, 1], (v) => (this.csconUrc = v)) },
    });
    c.set('+QSCLK', {
      read: () => ok(`+QSCLK: ${this.sclk}`),
      set: { shape: { types: ['i'] }, run: (a) => this.setFlag(a, [0, 1, 2], (v) => (this.sclk = v)) },
    });
    c.set('+CPSMS', {
      read: () => ok(`+CPSMS: ${this.psm},,,"01000011","00000001"`),
      set: { shape: { types: ['i', '-', '-', '-', '-'], required: 1 }, run: (a) => this.setFlag(a, [0, 1, 2], (v) => (this.psm = v === 1 ? 1 : 0)) },
    });
    c.set('+CEDRXS', {
      read: () => ok(this.edrx ? '+CEDRXS: 5,"0101"' : '+CEDRXS:'),
      set: { shape: { types: ['i', '-', '-'], required: 1 }, run: (a) => this.setFlag(a, [0, 1, 2, 3], (v) => (this.edrx = v === 1 || v === 2 ? 1 : 0)) },
    });
    c.set('+QEDRXCFG', { set: { shape: { types: ['i', '-', '-', '-'], required: 1 }, run: (a) => this.setFlag(a, [0, 1, 2], (v) => (this.edrx = v === 1 || v === 2 ? 1 : 0)) } });
    c.set('+QRELLOCK', { exec: () => ok() });
  }

  private setFlag(a: Parameters<typeof intArg>[0], allowed: number[], apply: (v: number) => void): ReturnType<typeof ok> {
    const v = intArg(a, 0)!;
    if (!allowed.includes(v)) return error();
    apply(v);
    return ok();
  }
}

export function createBc26Emulator(options: ModemEmulatorOptions): Bc26Emulator {
  return new Bc26Emulator(options);
}
