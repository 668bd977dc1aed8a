/**
 * A StreamTransport that can hold back whole lines from the modem until a later line has
 * passed: the order of a modem's URCs and finals is its own timing (a `+QMTSTAT` can come
 * before or after the refusals of the publishes sent meanwhile), and a test must try both.
 */
import type { Duplex } from 'node:stream';
import { StreamTransport } from '../modems/stream-transport';

interface HoldRule {
  line: RegExp;
  until: RegExp;
  /** `until` lines still to pass before the held lines go. */
  left: number;
  held: Buffer[];
  /** Lines held so far (for assertions). */
  count: number;
}

export class ReorderingTransport extends StreamTransport {
  private readonly rules: HoldRule[] = [];

  constructor(stream: Duplex, description: string) {
    super(stream, description);
    // Re-emit through the rules: replace the base class's direct 'data' forwarding.
    stream.removeAllListeners('data');
    stream.on('data', (chunk: Buffer) => this.route(chunk));
  }

  /** Holds each line matching `line` until `times` lines matching `until` have been delivered, once. */
  hold(line: RegExp, until: RegExp, times = 1): HoldRule {
    const rule: HoldRule = { line, until, left: times, held: [], count: 0 };
    this.rules.push(rule);
    return rule;
  }

  /** Emits `line` (text) for every complete line the host gets, in the order it gets them. */
  private deliver(bytes: Buffer, text: string): void {
    this.emit('data', bytes);
    if (text) this.emit('line', text);
  }

  private route(chunk: Buffer): void {
    // Complete lines (with their CRLF) are judged one by one; a fragment (a `>` prompt, raw bytes) passes.
    let start = 0;
    for (let i = 0; i + 1 < chunk.length; i++) {
      if (chunk[i] !== 0x0d || chunk[i + 1] !== 0x0a) continue;
      this.line(chunk.subarray(start, i + 2));
      start = i + 2;
      i++;
    }
    if (start < chunk.length) this.emit('data', chunk.subarray(start));
  }

  private line(bytes: Buffer): void {
    const text = bytes.toString('latin1').trim();
    for (const r of this.rules) {
      if (text && r.line.test(text)) {
        r.held.push(Buffer.from(bytes));
        r.count++;

        return;
      }
    }
    this.deliver(bytes, text);
    for (const r of [...this.rules]) {
      if (!text || !r.until.test(text) || --r.left > 0) continue;
      // One reordering per rule: once its `until` line has passed, the rule is done.
      this.rules.splice(this.rules.indexOf(r), 1);
      for (const b of r.held.splice(0)) this.deliver(b, b.toString('latin1').trim());
    }
  }
}
