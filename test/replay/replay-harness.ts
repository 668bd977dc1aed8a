/**
 * Replays a real transcript (test/captures/) through the real AtChannel: the host's commands are
 * issued as channel commands, the module's side of the transcript is written to the channel
 * whole, one byte at a time or in seeded random chunks, and every module line is checked against
 * what the module meant by it, as written by hand in each replay test from reading the capture.
 *
 * A capture becomes steps: a step starts at a host command (a line starting with `AT`, no space after it) and holds
 * the module lines up to the next command; lines before the first command form a step without
 * one. A command line repeated at once is the module's echo. The test lists every module line
 * (blank lines aside) with its kind, and the list must equal the capture's module lines, so it
 * cannot drift from the file.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { AtChannelOptions, AtCommandOptions, AtResponse } from '../../dist/at/types';
import { AtCommandError, AtTimeoutError, ModemRebootedError } from '../../dist/at/errors';
import { openChannel, settle, type ChannelFixture } from '../at/channel-fixture';
import type { ChunkMode } from '../at/modem-side';

/**
 * What the module meant by a line:
 * - final: the final result of the command in flight;
 * - response: an information line of the command's answer;
 * - result-urc: the result URC a two-phase command waits for (`+QMTOPEN: 0,0`);
 * - urc: unsolicited, for the URC handlers (a URC, an error detail line);
 * - stray: no answer to anything the host sent here (noise, the echo of typed prompt data, the
 *   answer to a command the log does not show, a readable boot ROM line): for the URC handlers too;
 * - banner: the module restarted;
 * - echo: the echo of the command line, dropped;
 * - busy: `busy p...` while the command runs, progress (dropped, the command not re-sent);
 * - prompt: the `>` data prompt (the data is written after it).
 */
export type Kind = 'final' | 'response' | 'result-urc' | 'urc' | 'stray' | 'banner' | 'echo' | 'busy' | 'prompt';

export interface Capture {
  file: string;
  channel: Partial<AtChannelOptions>;
  /** A file line as conversation lines (trimmed; '' for a blank line); [] for notes and annotations. */
  clean(line: string): string[];
  /** Options a driver would give this command (response prefixes, finals); the harness adds prompt and awaitUrc from the expectations. */
  options(command: string): Partial<AtCommandOptions>;
  /** Every module line that is not blank, in file order, with what the module meant. */
  expected: [string, Kind][];
  /** Prompt data per command, when the capture shows a prompt (else the echoed data after the `>`). */
  promptData?(command: string, echoed: string): Buffer;
}

interface Step {
  command?: string;
  /** Module lines in order, blank ones included, with the expectation of each non-blank one. */
  lines: { text: string; kind?: Kind }[];
}

const root = path.resolve(__dirname, '..', '..');

export function readCapture(file: string): string[] {
  const text = fs.readFileSync(path.join(root, 'test', 'captures', file), 'utf8');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  // The first line names the source; it is no part of the conversation.
  return lines.slice(1);
}

/** The capture's steps, with each module line paired with its expectation (checked to match). */
export function stepsOf(capture: Capture): Step[] {
  const conversation = readCapture(capture.file).flatMap((l) => capture.clean(l));
  const steps: Step[] = [];
  let step: Step = { lines: [] };
  steps.push(step);
  for (const line of conversation) {
    const heard = step.lines.some((l) => l.text !== '');
    // `AT version:...` (an AT+GMR answer) is the module's: a command has no space after `AT`.
    if (/^AT(?! )/.test(line)) {
      if (step.command === line && !heard) {
        step.lines.push({ text: line });
        continue;
      }
      step = { command: line, lines: [] };
      steps.push(step);
      continue;
    }
    step.lines.push({ text: line });
  }
  // Pair every non-blank module line with its expectation, in order; a `>` line of a prompt is
  // the prompt followed by the echo of the data typed after it.
  const expected = [...capture.expected];
  for (const s of steps) {
    const paired: Step['lines'] = [];
    for (const l of s.lines) {
      if (l.text === '') {
        paired.push(l);
        continue;
      }
      const next = expected.shift();
      assert.ok(next !== undefined, `${capture.file}: module line ${JSON.stringify(l.text)} has no expectation`);
      if (next[1] === 'prompt') {
        assert.ok(l.text.startsWith('>'), `${capture.file}: expected a prompt, the capture has ${JSON.stringify(l.text)}`);
        paired.push({ text: '>', kind: 'prompt' });
        const rest = l.text.slice(1).trim();
        if (rest !== '') {
          const echo = expected.shift();
          assert.deepEqual(echo, [rest, 'stray'], `${capture.file}: the data echoed after the prompt`);
          paired.push({ text: rest, kind: 'stray' });
        }
        continue;
      }
      assert.equal(l.text, next[0], `${capture.file}: the expectations do not follow the capture`);
      paired.push({ text: l.text, kind: next[1] });
    }
    s.lines = paired;
  }
  assert.deepEqual(expected, [], `${capture.file}: expectations left over`);
  return steps.filter((s) => s.command !== undefined || s.lines.length > 0);
}

/** The bytes of a step's module side: each line ends in CR LF; a prompt is `> ` with no line end. */
function moduleBytes(step: Step): Buffer {
  let text = '';
  for (const l of step.lines) {
    if (l.kind === 'prompt') text += '> ';
    else text += `${l.text}\r\n`;
  }
  return Buffer.from(text, 'utf8');
}

export interface ReplayObserver {
  /** Extra handlers (a driver's) added before the replay; called once per run. */
  attach?(f: ChannelFixture): void;
}

/** Observed kinds, per step, compared as lists per kind. */
type Observed = Partial<Record<Kind, string[]>>;

function push(o: Observed, kind: Kind, text: string): void {
  (o[kind] ??= []).push(text);
}

/** Lines the capture marks `urc` and `stray` reach the channel's URC handlers alike. */
function observable(kind: Kind): Kind | undefined {
  if (kind === 'stray') return 'urc';
  if (kind === 'echo' || kind === 'busy') return undefined;
  return kind;
}

export async function replay(capture: Capture, mode: ChunkMode, observer: ReplayObserver = {}): Promise<void> {
  const steps = stepsOf(capture);
  const f = await openChannel({ resyncQuietMs: 5, ...capture.channel });
  try {
    // Every line that reaches the URC table, as the table got it. The table gives a line to the
    // first handler that matches it: the observer's handlers record what they take, and a
    // catch-all added after them (prefix '' takes every line) records the rest.
    const table: string[] = [];
    const record = (line: string) => table.push(line.trim());
    const addUrc = f.channel.addUrc.bind(f.channel);
    f.channel.addUrc = (h) => {
      const onLine = h.onLine;
      if (onLine === undefined) return addUrc(h);
      return addUrc({ ...h, onLine: (line, m) => (record(line), onLine.call(h, line, m)) });
    };
    observer.attach?.(f);
    addUrc({ name: 'replay-recorder', prefix: '', onLine: record });
    for (const [n, step] of steps.entries()) {
      const where = `${capture.file} step ${n + 1} (${step.command ?? 'no command'}) [${mode}]`;
      const tableFrom = table.length;
      const rebootsFrom = f.reboots.length;
      const expect: Observed = {};
      for (const l of step.lines) {
        const kind = l.kind === undefined ? undefined : observable(l.kind);
        if (kind !== undefined) push(expect, kind, l.text);
      }
      const observed: Observed = {};
      const kinds = step.lines.map((l) => l.kind);
      if (step.command === undefined) {
        await f.modem.send(moduleBytes(step), mode);
      } else {
        const opts = commandOptions(capture, step);
        const answered = kinds.includes('final');
        const outcome = settle(f.channel.command({ timeoutMs: answered ? 5000 : 150, ...opts }));
        assert.equal(await f.modem.nextCommand(), step.command, where);
        await f.modem.send(moduleBytes(step), mode);
        const { value, error } = await outcome;
        const promptData = opts.prompt?.data;
        if (promptData !== undefined && kinds.includes('prompt')) {
          assert.deepEqual(await f.modem.readBytes(promptData.length), promptData, `${where}: data written after the prompt`);
          push(observed, 'prompt', '>');
        }
        observeOutcome(observed, value, error, opts, where, answered);
        if (error instanceof AtTimeoutError) {
          // The capture shows no final: the channel resyncs with `AT`, answered here.
          assert.equal(await f.modem.nextCommand(), 'AT', `${where}: resync`);
          await f.modem.send('\r\nOK\r\n');
          await settleChannel();
        }
        // Response lines also reach the URC table (a line may serve both); they count once.
        const responses = [...(observed.response ?? [])];
        for (const line of table.slice(tableFrom)) {
          const i = responses.indexOf(line);
          if (i >= 0) responses.splice(i, 1);
          else if (!answeredOk(value) && matchesPrefix(line, opts.responsePrefixes)) push(observed, 'response', line);
          else push(observed, 'urc', line);
        }
      }
      if (step.command === undefined) for (const line of table.slice(tableFrom)) push(observed, 'urc', line);
      for (const banner of f.reboots.slice(rebootsFrom)) push(observed, 'banner', banner);
      assert.deepEqual(normalise(observed), normalise(expect), where);
      // Nothing re-sent and nothing left unread: the host wrote exactly this step's command.
      assert.equal(f.modem.unread().toString('latin1'), '', `${where}: nothing else written`);
    }
  } finally {
    await f.close();
  }
}

function answeredOk(value: AtResponse | undefined): boolean {
  return value !== undefined;
}

function matchesPrefix(line: string, prefixes: string[] | undefined): boolean {
  return (prefixes ?? []).some((p) => line.startsWith(p));
}

function observeOutcome(o: Observed, value: AtResponse | undefined, error: unknown, opts: AtCommandOptions, where: string, answered: boolean): void {
  if (value !== undefined) {
    push(o, 'final', value.final);
    for (const l of value.lines) push(o, 'response', l);
    if (value.urc !== undefined) push(o, 'result-urc', value.urc);
    return;
  }
  if (error instanceof AtCommandError) {
    push(o, 'final', error.final);
    return;
  }
  // No final in the capture: the command times out, or a restart ends it.
  assert.ok(!answered, `${where}: ${String(error)}`);
  assert.ok(error instanceof AtTimeoutError || error instanceof ModemRebootedError, `${where}: ${String(error)}`);
  void opts;
}

/** The data the host writes after a prompt, and the awaited result URC, from the expectations. */
function commandOptions(capture: Capture, step: Step): AtCommandOptions {
  const command = step.command!;
  const opts: AtCommandOptions = { template: command, ...capture.options(command) };
  const promptAt = step.lines.findIndex((l) => l.kind === 'prompt');
  if (promptAt >= 0) {
    const echoed = step.lines[promptAt + 1]?.kind === 'stray' ? step.lines[promptAt + 1].text : '';
    const data = capture.promptData?.(command, echoed) ?? Buffer.from(echoed, 'utf8');
    opts.prompt = { data };
  }
  const result = step.lines.find((l) => l.kind === 'result-urc');
  if (result !== undefined) {
    const name = /^(\+\w+:)/.exec(result.text)![1];
    opts.awaitUrc = { pattern: new RegExp(`^\\${name}`), timeoutMs: 2000 };
  }
  return opts;
}

function normalise(o: Observed): Observed {
  const out: Observed = {};
  for (const k of Object.keys(o).sort() as Kind[]) if ((o[k] ?? []).length > 0) out[k] = o[k];
  return out;
}

/** One turn of the event loop, so the channel has routed what it got. */
function settleChannel(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Trims a conversation line and strips a serial monitor's time stamp in front of it. */
export function stripped(line: string, stamp: RegExp): string {
  return line.replace(stamp, '').trim();
}
