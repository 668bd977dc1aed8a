/**
 * The basic commands of the emulated ESP-AT (docs/models/esp8266.md): AT, ATE (echo is on again
 * after every restart, "Boot"), AT+RST and AT+RESTORE, AT+GMR ("Supported firmware") and
 * AT+SYSLOG, which makes failures print their `ERR CODE` ("Results and URCs").
 */
import { needRange, type EspCommandTable, type EspDialect, type EspReply } from './esp8266-commands';

export class EspSystem {
  /** AT+SYSLOG=1: a failure prints `ERR CODE:0x01xxyyyy` before its final. */
  sysLog = false;

  constructor(private readonly engine: EspDialect) {}

  register(c: EspCommandTable): void {
    const restart = (): EspReply => {
      this.engine.restart();
      return null;
    };
    const echo = (on: boolean) => (): EspReply => {
      this.engine.setEcho(on);
      return [];
    };
    c.set('', { exec: () => [] });
    // ATE is ATE0 (V.250: a missing value is 0).
    c.set('E', { exec: echo(false) });
    c.set('E0', { exec: echo(false) });
    c.set('E1', { exec: echo(true) });
    c.set('RST', { exec: restart });
    c.set('RESTORE', { exec: restart });
    c.set('GMR', { exec: () => [...this.engine.traits.gmr] });
    c.set('SYSLOG', {
      query: () => [`+SYSLOG:${this.sysLog ? 1 : 0}`],
      set: (call) => {
        const [v] = call.values(['int']);
        needRange(v, 0, 1);
        this.sysLog = v === 1;
        return [];
      },
    });
  }

  /** Settings are lost on a restart. */
  reset(): void {
    this.sysLog = false;
  }
}
