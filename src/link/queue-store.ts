/**
 * A persistent offline queue: one append-only file of JSON lines per connection, so reports
 * waiting for the link survive a Node-RED restart or a power cut. Each queued report is one
 * `add` line, written and flushed to the disk (fdatasync) before the report counts as queued;
 * each report that is done (sent or failed) appends a `done` line, not flushed: losing one in
 * a power cut only sends that report again, which at-least-once delivery allows.
 *
 * The store never takes the gateway down: a file that cannot be read or written gives one
 * warning and the connection goes on with its in-memory queue. A torn last line (power cut
 * during a write) is skipped. The file is rewritten with only the live reports when it loads
 * and when done lines outnumber them.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface StoredReport {
  key: number;
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  owner: string;
}

type Line = { a: number; t: string; p: string; q: 0 | 1; o: string } | { d: number };

export class QueueStore {
  private fd: number | undefined;
  private broken = false;
  private nextKey = 1;
  private live = new Map<number, StoredReport>();
  private doneLines = 0;

  constructor(
    readonly file: string,
    private readonly warn: (text: string) => void,
  ) {}

  /** Reads what a previous run left, in queue order, and opens the file for appending. */
  load(): StoredReport[] {
    let text = '';
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      text = fs.existsSync(this.file) ? fs.readFileSync(this.file, 'utf8') : '';
    } catch (err) {
      this.fail('cannot be read', err);
      return [];
    }
    let bad = 0;
    for (const raw of text.split('\n')) {
      if (!raw) continue;
      try {
        this.replay(JSON.parse(raw) as Line);
      } catch {
        bad++;
      }
    }
    if (bad > 0) this.warn(`offline queue store ${this.file}: skipped ${bad} unreadable line(s)`);
    this.rewrite();
    return [...this.live.values()];
  }

  /** Records a queued report; its key, or undefined once the store is broken (memory only). */
  add(r: Omit<StoredReport, 'key'>): number | undefined {
    if (this.broken || this.fd === undefined) return undefined;
    const key = this.nextKey++;
    const line: Line = { a: key, t: r.topic, p: r.payload.toString('base64'), q: r.qos, o: r.owner };
    try {
      fs.writeSync(this.fd, `${JSON.stringify(line)}\n`);
      fs.fdatasyncSync(this.fd);
    } catch (err) {
      this.fail('cannot be written', err);
      return undefined;
    }
    this.live.set(key, { key, topic: r.topic, payload: r.payload, qos: r.qos, owner: r.owner });
    return key;
  }

  /** Records that a report is done. */
  remove(key: number): void {
    if (!this.live.delete(key) || this.broken || this.fd === undefined) return;
    try {
      fs.writeSync(this.fd, `${JSON.stringify({ d: key })}\n`);
    } catch (err) {
      this.fail('cannot be written', err);
      return;
    }
    this.doneLines++;
    if (this.doneLines > 1000 && this.doneLines > 2 * this.live.size) this.rewrite();
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private replay(line: Line): void {
    if ('d' in line) {
      this.live.delete(line.d);
      return;
    }
    if (typeof line.a !== 'number' || typeof line.t !== 'string' || typeof line.p !== 'string') throw new Error('bad line');
    this.live.set(line.a, { key: line.a, topic: line.t, payload: Buffer.from(line.p, 'base64'), qos: line.q === 0 ? 0 : 1, owner: String(line.o ?? '') });
    this.nextKey = Math.max(this.nextKey, line.a + 1);
  }

  /** Writes only the live reports to a new file and swaps it in (rename is atomic). */
  private rewrite(): void {
    if (this.broken) return;
    try {
      const tmp = `${this.file}.tmp`;
      const lines = [...this.live.values()].map((r) => JSON.stringify({ a: r.key, t: r.topic, p: r.payload.toString('base64'), q: r.qos, o: r.owner }));
      fs.writeFileSync(tmp, lines.length ? `${lines.join('\n')}\n` : '');
      const fd = fs.openSync(tmp, 'r+');
      fs.fdatasyncSync(fd);
      fs.closeSync(fd);
      if (this.fd !== undefined) fs.closeSync(this.fd);
      fs.renameSync(tmp, this.file);
      this.fd = fs.openSync(this.file, 'a');
      this.doneLines = 0;
    } catch (err) {
      this.fail('cannot be written', err);
    }
  }

  private fail(what: string, err: unknown): void {
    if (this.broken) return;
    this.broken = true;
    try {
      if (this.fd !== undefined) fs.closeSync(this.fd);
    } catch {
      // Already unusable.
    }
    this.fd = undefined;
    this.warn(`offline queue store ${this.file} ${what} (${(err as Error).message ?? err}); queued reports are kept in memory only`);
  }
}
