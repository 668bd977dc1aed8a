/**
 * What the ESP8266 boot ROM log looks like on a host UART at 115200 baud. The ROM prints it at
 * 74880 baud (its 26 MHz crystal divides to that rate), so the host's UART samples the wrong
 * bit times: it sees bytes that have little to do with the text (docs/models/esp8266.md "Boot").
 * Computed here by sampling the 74880 bit stream at 115200, the way a UART receiver does.
 */

/** The ROM log of a reset (text as the ROM prints it; capture esp_at_10.txt shows the same lines). */
export function romLogText(resetCause: 1 | 2): string {
  return [
    '',
    ` ets Jan  8 2013,rst cause:${resetCause}, boot mode:(3,6)`,
    '',
    'load 0x40100000, len 7288, room 16 ',
    'tail 8',
    'chksum 0xe2',
    'load 0x3ffe8408, len 24, room 0 ',
    'tail 8',
    'chksum 0x67',
    'load 0x3ffe8420, len 3328, room 0 ',
    'tail 0',
    'chksum 0x8e',
    '',
  ].join('\r\n');
}

/**
 * Bytes a receiver at `rxBaud` decodes from `bytes` sent at `txBaud` (8N1, back to back):
 * it waits for a falling edge (start bit), samples 8 data bits in the middle of its own bit
 * times, then the stop bit; a framing error still yields the byte, as a Linux tty does.
 */
export function resample(bytes: Buffer, txBaud: number, rxBaud: number): Buffer {
  const bits: number[] = [];
  for (const b of bytes) {
    bits.push(0);
    for (let i = 0; i < 8; i++) bits.push((b >> i) & 1);
    bits.push(1);
  }
  const tx = 1 / txBaud;
  const rx = 1 / rxBaud;
  const level = (t: number): number => {
    const k = Math.floor(t / tx);
    return k >= 0 && k < bits.length ? bits[k] : 1;
  };
  /** First falling edge at or after t (edges sit on tx bit boundaries), or -1. */
  const nextFall = (t: number): number => {
    for (let k = Math.max(1, Math.ceil(t / tx)); k < bits.length; k++) {
      if (bits[k - 1] === 1 && bits[k] === 0) return k * tx;
    }
    return -1;
  };
  const out: number[] = [];
  // The line idles high before the first start bit.
  let start = bits[0] === 0 ? 0 : nextFall(0);
  while (start >= 0) {
    let byte = 0;
    for (let i = 0; i < 8; i++) byte |= level(start + (1.5 + i) * rx) << i;
    out.push(byte);
    const stopAt = start + 9.5 * rx;
    start = nextFall(stopAt);
  }
  return Buffer.from(out);
}

/** The ROM log of a reset as a 115200-baud host receives it. */
export function romLogAt115200(resetCause: 1 | 2): Buffer {
  return resample(Buffer.from(romLogText(resetCause), 'latin1'), 74_880, 115_200);
}
