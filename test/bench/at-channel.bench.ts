/**
 * AtChannel throughput, against the rate a serial line can feed it.
 *
 * The stream is a realistic EC20 session, ~20 MB: answers to +CSQ / +CEREG? / QMTCONN? /
 * QMTSUB (two-phase, with its URC), `OK`, +QMTRECV downlinks with length-prefixed JSON
 * payloads, +QMTPUB URCs and noise URCs. The channel does its full job (framing, URC
 * dispatch with the EC20 driver's URC set, raw reads, command matching: every command is
 * issued and its answer matched). Commands are issued as the EC20 driver issues them (profile
 * templates rendered by mustache, QMTSUB with the driver's awaited-URC spec), one at a time,
 * each awaited before the next, through a replay transport. A 115200-baud line (8N1) carries
 * 11,520 bytes a second, 0.0115 MB/s: the figure to compare the channel's with. Floor
 * (issue 12): at least 20 MB/s, and at most 20 us of host CPU per command round trip.
 */
import { EventEmitter } from 'node:events';
import { AtChannel } from '../../dist/at/channel';
import { quectelDialect } from '../../dist/at/dialects';
import type { AtCommandOptions } from '../../dist/at/types';
import type { Transport } from '../../dist/transport/transport';
import { getProfile } from '../../dist/modems/load-profile';
import { ProfileCommands } from '../../dist/modems/profile-commands';

export const title = 'AT channel: throughput against a 115200-baud line, CPU per command';

/** Megabytes of 10^6 bytes throughout, as the serial line's rate is counted. */
const MB = 1_000_000;
const TARGET_BYTES = 20 * MB;
/**
 * Read sizes: 512 B is one USB 2.0 bulk packet, what a USB-attached EC20/BC26 hands the host
 * per read (a UART at 115200 baud gives even smaller reads); 4096 B shows larger reads, where
 * the per-read overhead matters less.
 */
const CHUNK_SIZES = [512, 4096];
/** Best of N: the first runs are cold (JIT) and the machines are shared, so the fastest run is the stable figure. */
const RUNS = 7;
/** 115200 baud, 10 bits a byte (8N1): 0.0115 MB/s. */
const WIRE_MBS = 115200 / 10 / MB;
const FLOOR_MBS = 20;
const ROUND_TRIPS = 20000;
const CEILING_US_PER_COMMAND = 20;

interface Exchange {
  opts: AtCommandOptions;
  chunks: Buffer[];
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOPIC = '$oc/devices/myprod_dev01/sys';
const EC20 = getProfile('ec20');
/** Builds the driver's awaited-URC specs; it does not touch the channel. */
const EC20_COMMANDS = new ProfileCommands({} as never, EC20);

function downlink(r: () => number, mid: number): string {
  const n = 2 + Math.floor(r() * 30);
  const paras: Record<string, number> = {};
  for (let i = 0; i < n; i++) paras[`p${i}`] = Math.floor(r() * 100000);
  const json = JSON.stringify({ paras, service_id: 'WaterMeter', command_name: 'ON_OFF' });
  return `\r\n+QMTRECV: 0,${mid},"${TOPIC}/commands/request_id=${mid.toString(16)}",${Buffer.byteLength(json)},"${json}"\r\n`;
}

function noise(r: () => number, mid: number): string {
  const k = Math.floor(r() * 5);
  if (k === 0) return `\r\n+QMTPUB: 0,${mid},0\r\n`;
  if (k === 1) return `\r\n+CEREG: ${r() < 0.5 ? 1 : 5}\r\n`;
  if (k === 2) return `\r\n+QIND: "csq",${Math.floor(r() * 31)},99\r\n`;
  if (k === 3) return '\r\n+QIND: "PB DONE"\r\n';
  return downlink(r, mid);
}

export function makeExchanges(chunkBytes = CHUNK_SIZES[0]): { exchanges: Exchange[]; bytes: number } {
  const r = rng(2025);
  const exchanges: Exchange[] = [];
  let bytes = 0;
  let mid = 1;
  while (bytes < TARGET_BYTES) {
    const kind = Math.floor(r() * 4);
    let opts: AtCommandOptions;
    let reply: string;
    const before = noise(r, mid++) + (r() < 0.7 ? downlink(r, mid++) : '');
    const after = noise(r, mid++) + downlink(r, mid++) + noise(r, mid++);
    if (kind === 0) {
      opts = { template: 'AT+CSQ', responsePrefixes: ['+CSQ:'] };
      reply = `${before}\r\n+CSQ: ${Math.floor(r() * 31)},99\r\n\r\nOK\r\n${after}`;
    } else if (kind === 1) {
      opts = { template: 'AT+CEREG?', responsePrefixes: ['+CEREG:'] };
      reply = `\r\n+CEREG: 0,1\r\n${before}\r\nOK\r\n${after}`;
    } else if (kind === 2) {
      opts = { template: 'AT+QMTCONN?', responsePrefixes: ['+QMTCONN:'] };
      reply = `\r\n+QMTCONN: 0,3\r\n${before}\r\nOK\r\n${after}`;
    } else {
      const m = (mid++ % 65535) + 1;
      // As the EC20 driver sends it: the profile's template, and its awaited URC spec.
      opts = {
        template: EC20.commands.mqttSubscribe,
        view: { idx: 0, mid: m, topic: `${TOPIC}/commands/#`, qos: 1 },
        awaitUrc: EC20_COMMANDS.awaitUrc('subscribe', { idx: 0, mid: m }, 10000),
      };
      reply = `\r\nOK\r\n${before}\r\n+QMTSUB: 0,${m},0,1\r\n${after}`;
    }
    const buf = Buffer.from(reply, 'utf8');
    const chunks: Buffer[] = [];
    for (let i = 0; i < buf.length; i += chunkBytes) chunks.push(buf.subarray(i, i + chunkBytes));
    exchanges.push({ opts, chunks });
    bytes += buf.length;
  }
  return { exchanges, bytes };
}

/** A Transport that answers each written command with the next exchange's chunks. */
class ReplayTransport extends EventEmitter implements Transport {
  readonly description = 'replay';
  readonly isOpen = true;
  private next = 0;
  private readonly written = Promise.resolve();
  /** Bound once, so the harness allocates no closure per write. */
  private readonly deliver = (ex: Exchange) => {
    for (const c of ex.chunks) this.emit('data', c);
  };
  constructor(private readonly exchanges: Exchange[]) {
    super();
  }
  async open(): Promise<void> {}
  async close(): Promise<void> {}
  write(_data: Buffer): Promise<void> {
    // Deliver after the write returns, as a modem would (never re-entrantly inside it): one
    // 'data' event per chunk, at the next tick rather than behind a timer or setImmediate.
    process.nextTick(this.deliver, this.exchanges[this.next++]);
    return this.written;
  }
}

async function runChannel(exchanges: Exchange[]): Promise<{ ms: number; downlinks: number; urcs: number }> {
  const transport = new ReplayTransport(exchanges);
  const channel = new AtChannel(transport, { dialect: quectelDialect, bootBanners: ['RDY', 'POWERED DOWN'] });
  let downlinks = 0;
  let urcs = 0;
  channel.addUrc({
    name: 'qmtrecv',
    prefix: '+QMTRECV:',
    partial: /^\+QMTRECV: (\d+),(\d+),"([^"]*)",(\d+),"/,
    onPartial: (m) => ({ length: Number(m[4]), onRaw: () => downlinks++ }),
  });
  channel.addUrc({ name: 'qmtpub', prefix: '+QMTPUB:', line: /^\+QMTPUB: (\d+),(\d+),(\d+)/, onLine: () => urcs++ });
  channel.addUrc({ name: 'cereg', prefix: '+CEREG:', line: /^\+CEREG: (\d+)$/, onLine: () => urcs++ });
  channel.addUrc({ name: 'qind', prefix: '+QIND:', onLine: () => urcs++ });
  channel.addUrc({ name: 'qmtstat', prefix: '+QMTSTAT:', onLine: () => urcs++ });
  const t0 = process.hrtime.bigint();
  for (const ex of exchanges) await channel.command(ex.opts);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  await channel.close();
  return { ms, downlinks, urcs };
}

/** The same chunks with no command issued: framing, raw reads and URC dispatch only (a breakdown, not the target figure). */
async function runChannelUrcOnly(exchanges: Exchange[]): Promise<{ ms: number }> {
  const transport = new ReplayTransport(exchanges);
  const channel = new AtChannel(transport, { dialect: quectelDialect, bootBanners: ['RDY', 'POWERED DOWN'] });
  let n = 0;
  channel.addUrc({
    name: 'qmtrecv',
    prefix: '+QMTRECV:',
    partial: /^\+QMTRECV: (\d+),(\d+),"([^"]*)",(\d+),"/,
    onPartial: (m) => ({ length: Number(m[4]), onRaw: () => n++ }),
  });
  channel.addUrc({ name: 'qmtpub', prefix: '+QMTPUB:', line: /^\+QMTPUB: (\d+),(\d+),(\d+)/, onLine: () => n++ });
  channel.addUrc({ name: 'cereg', prefix: '+CEREG:', line: /^\+CEREG: (\d+)$/, onLine: () => n++ });
  channel.addUrc({ name: 'qind', prefix: '+QIND:', onLine: () => n++ });
  channel.on('unsolicited', () => n++);
  const t0 = process.hrtime.bigint();
  for (const ex of exchanges) for (const c of ex.chunks) transport.emit('data', c);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  await channel.close();
  return { ms };
}

/** Host CPU per command round trip: `AT` answered `OK`, nothing else on the line. */
async function runRoundTrips(): Promise<number> {
  const ok = [Buffer.from('\r\nOK\r\n')];
  const exchanges: Exchange[] = Array.from({ length: ROUND_TRIPS }, () => ({ opts: { template: 'AT' }, chunks: ok }));
  const channel = new AtChannel(new ReplayTransport(exchanges), { dialect: quectelDialect, bootBanners: ['RDY', 'POWERED DOWN'] });
  const before = process.cpuUsage();
  for (const ex of exchanges) await channel.command(ex.opts);
  const used = process.cpuUsage(before);
  await channel.close();
  return (used.user + used.system) / ROUND_TRIPS;
}

export async function run(log: (line: string) => void): Promise<void> {
  log(`serial line at 115200 baud: ${WIRE_MBS.toFixed(4)} MB/s`);
  let worstMbs = Infinity;
  for (const chunkBytes of CHUNK_SIZES) {
    const { exchanges, bytes } = makeExchanges(chunkBytes);
    const mb = bytes / MB;
    log(`stream: ${mb.toFixed(1)} MB, ${exchanges.length} commands, reads of <= ${chunkBytes} bytes, best of ${RUNS} runs`);
    let bestChannel = Infinity;
    let bestUrcOnly = Infinity;
    let check = '';
    for (let i = 0; i < RUNS; i++) {
      const ch = await runChannel(exchanges);
      bestChannel = Math.min(bestChannel, ch.ms);
      bestUrcOnly = Math.min(bestUrcOnly, (await runChannelUrcOnly(exchanges)).ms);
      check = `raw downlinks ${ch.downlinks}, URCs ${ch.urcs}`;
    }
    const chMbs = mb / (bestChannel / 1000);
    worstMbs = Math.min(worstMbs, chMbs);
    log(`  ${check}`);
    log(`  AT channel: ${chMbs.toFixed(1)} MB/s, ${Math.round(chMbs / WIRE_MBS).toLocaleString('en-US')} times the serial line`);
    log(`  breakdown, no commands (framing + raw reads + URC dispatch): ${(mb / (bestUrcOnly / 1000)).toFixed(1)} MB/s`);
  }
  let bestUs = Infinity;
  for (let i = 0; i < RUNS; i++) bestUs = Math.min(bestUs, await runRoundTrips());
  log(`host CPU per command round trip (AT / OK, best of ${RUNS} x ${ROUND_TRIPS}): ${bestUs.toFixed(1)} us`);
  const met = worstMbs >= FLOOR_MBS && bestUs <= CEILING_US_PER_COMMAND;
  log(`floor >= ${FLOOR_MBS} MB/s and <= ${CEILING_US_PER_COMMAND} us per command: ${met ? 'met' : 'NOT met'}`);
}
