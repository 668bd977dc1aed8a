/**
 * A scripted host for the modem emulator tests (Quectel and ESP-AT): writes raw bytes, reads the modem's output back
 * in exact pieces, and a real aedes broker on 127.0.0.1:0 for the MQTT side. Deliberately NOT the
 * product driver: the emulator must match the manual's bytes, not whatever the driver accepts.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { Aedes } from 'aedes';

export class ScriptedHost {
  private buf = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  ended = false;

  /** `terminator`: what ends a command line: Quectel takes CR, ESP-AT needs CR LF. */
  constructor(readonly stream: Duplex, private readonly terminator: '\r' | '\r\n' = '\r') {
    stream.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.wake?.();
    });
    stream.on('end', () => {
      this.ended = true;
      this.wake?.();
    });
    stream.on('error', () => undefined);
  }

  async until(pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; unread: ${JSON.stringify(this.buf.toString('latin1'))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left); // safety net only; data wakes us
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  /** The next bytes are exactly `expected`. */
  async read(expected: string | Buffer): Promise<void> {
    const want = Buffer.isBuffer(expected) ? expected : Buffer.from(expected, 'latin1');
    await this.until(() => this.buf.length >= want.length, JSON.stringify(want.toString('latin1')));
    assert.equal(this.buf.subarray(0, want.length).toString('latin1'), want.toString('latin1'));
    this.buf = this.buf.subarray(want.length);
  }

  /** Consume everything up to and including marker; returns what came before it. */
  async skipPast(marker: string, timeoutMs?: number): Promise<string> {
    await this.until(() => this.buf.includes(marker, 0, 'latin1'), JSON.stringify(marker), timeoutMs);
    const at = this.buf.indexOf(marker, 0, 'latin1');
    const skipped = this.buf.subarray(0, at).toString('latin1');
    this.buf = this.buf.subarray(at + Buffer.byteLength(marker, 'latin1'));
    return skipped;
  }

  get unread(): string {
    return this.buf.toString('latin1');
  }

  async waitEnd(): Promise<void> {
    await this.until(() => this.ended, 'end of stream');
  }

  write(bytes: string | Buffer): void {
    this.stream.write(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
  }

  async cmd(line: string, answer: string): Promise<void> {
    this.write(`${line}${this.terminator}`);
    await this.read(answer);
  }
}

export interface TestBroker {
  broker: Aedes;
  port: number;
  close(): Promise<void>;
}

export async function startBroker(server: net.Server | null = null): Promise<TestBroker> {
  const broker = await Aedes.createBroker();
  const srv = server ?? net.createServer(broker.handle);
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  return {
    broker,
    port,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    },
  };
}

/** Publish a downlink from the broker side. */
export function brokerPublish(broker: Aedes, topic: string, payload: Buffer | string, qos: 0 | 1 = 0): Promise<void> {
  return new Promise((resolve, reject) =>
    broker.publish(
      { cmd: 'publish', topic, payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload), qos, retain: false, dup: false },
      (err) => (err ? reject(err) : resolve()),
    ),
  );
}
