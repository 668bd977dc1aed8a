/**
 * A scriptable in-memory driver for the LinkSupervisor state-machine tests ONLY: it lets a
 * test fail a chosen step or hold it open, which no emulator can do deterministically.
 * Node tests use the real driver and emulators.
 */
import { EventEmitter } from 'node:events';

type Step = 'init' | 'attach' | 'open' | 'connect' | 'subscribe' | 'publish' | 'disconnect' | 'signal';

export class FakeSession extends EventEmitter {
  readonly calls: string[] = [];
  readonly connects: { clientId: string; password: string }[] = [];
  readonly published: { topic: string; payload: string; qos: number }[] = [];
  constructor(
    readonly clientIndex: number,
    private readonly driver: FakeDriver,
  ) {
    super();
  }
  async open(host: string, port: number): Promise<void> {
    this.calls.push(`open ${host}:${port}`);
    await this.driver.gate('open');
  }
  async connect(o: { clientId: string; password: string }): Promise<void> {
    this.calls.push('connect');
    this.connects.push({ clientId: o.clientId, password: o.password });
    await this.driver.gate('connect');
  }
  async subscribe(topic: string): Promise<number> {
    this.calls.push(`sub ${topic}`);
    await this.driver.gate('subscribe');
    return 1;
  }
  async unsubscribe(topic: string): Promise<void> {
    this.calls.push(`unsub ${topic}`);
  }
  async publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void> {
    await this.driver.gate('publish');
    this.published.push({ topic, payload: payload.toString(), qos });
  }
  async disconnect(): Promise<void> {
    this.calls.push('disconnect');
    await this.driver.gate('disconnect');
  }
  async close(): Promise<void> {
    this.calls.push('close');
  }
}

export class FakeDriver extends EventEmitter {
  readonly model = 'ec20';
  readonly maxPayloadBytes = 1024;
  readonly sessions = new Map<number, FakeSession>();
  readonly channel = { secrets: [] as string[] };
  addSecret(s: string): void {
    this.channel.secrets.push(s);
  }
  closed = false;
  inits = 0;
  /** Per step: an error to throw once, or a promise to wait for. */
  readonly failures = new Map<Step, Error[]>();
  readonly holds = new Map<Step, Promise<void>>();

  async gate(step: Step): Promise<void> {
    const hold = this.holds.get(step);
    if (hold) await hold;
    const err = this.failures.get(step)?.shift();
    if (err) throw err;
  }
  async init() {
    this.inits++;
    await this.gate('init');
    return { model: 'EC20', firmware: 'fake' };
  }
  async attachNetwork(opts: { onStep?: (s: string) => void }): Promise<void> {
    opts.onStep?.('sim');
    opts.onStep?.('network');
    await this.gate('attach');
  }
  /** Signal queries so far (the link's idle probe); emits `signal` with the count as each one starts. */
  signals = 0;
  async signal() {
    this.signals++;
    this.emit('signal', this.signals);
    await this.gate('signal');
    return { raw: 20, percent: 65 };
  }
  session(i: number): FakeSession {
    let s = this.sessions.get(i);
    if (!s) {
      s = new FakeSession(i, this);
      this.sessions.set(i, s);
    }
    return s;
  }
  checkPayload(): void {}
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.emit('closed');
  }
  // Convenience forms are unused by the supervisor.
  open = async () => undefined;
  connect = async () => undefined;
  subscribe = async () => 1;
  unsubscribe = async () => undefined;
  publish = async () => undefined;
  disconnect = async () => undefined;
}
