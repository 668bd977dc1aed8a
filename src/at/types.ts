/**
 * Public contract of the AT channel (src/at/channel.ts implements it).
 * The modem drivers are written against this file; change it only with care.
 */

/** A dialect's single escaping function: escapes a value or throws AtArgumentError. */
export interface AtDialect {
  readonly name: 'quectel' | 'esp' | (string & {});
  /** Applied to every `{{value}}` a command template renders. Throws AtArgumentError when the value cannot be carried. */
  escape(value: string): string;
  /** Line terminator the modem expects after a command: Quectel `\r`, ESP-AT `\r\n`. */
  readonly terminator: '\r' | '\r\n';
}

export interface AtCommandOptions {
  /** Mustache template, e.g. `AT+QMTOPEN={{idx}},"{{host}}",{{port}}`. Triple braces are refused. */
  template: string;
  /** Values for the template, each passed through the dialect's escape function. */
  view?: Record<string, unknown>;
  /** Time allowed until the final result (default 5000 ms). */
  timeoutMs?: number;
  /**
   * Prefixes of information lines that belong to this command's response (e.g. `+CSQ:`).
   * A line matching none of them goes to the URC dispatcher, even mid-response.
   * A line that matches both a response prefix and a URC handler goes to both.
   */
  responsePrefixes?: string[];
  /** Extra success finals besides `OK` (e.g. `SEND OK`, `+MQTTPUB:OK`). */
  okFinals?: string[];
  /** Extra failure finals besides `ERROR`, `+CME ERROR: n`, `+CMS ERROR: n` (e.g. `FAIL`, `+MQTTPUB:FAIL`). */
  errorFinals?: string[];
  /**
   * Prompt commands: wait for `>` at the start of a line (no newline needed), then write
   * exactly `data`, then wait for the final result.
   */
  prompt?: {
    data: Buffer;
    /** Quiet time between seeing `>` and writing (BC26 needs >= 4 ms). */
    delayAfterPromptMs?: number;
    /** ESP-AT MQTTPUBRAW / LONG* commands answer `OK` before `>`; that `OK` is then not final. */
    okBeforePrompt?: boolean;
    /**
     * The prompt is this whole line instead of `>` (Quectel AT+QFUPL answers `CONNECT` before
     * it takes the file's bytes). Seen only as a complete line while the command waits for it.
     */
    line?: string;
  };
  /**
   * Two-phase commands (Quectel QMT*): after the success final, wait for a URC that
   * matches `pattern` (e.g. /^\+QMTOPEN: 0,(-?\d+)/) for up to `timeoutMs`.
   * The queue is released at the final, so unrelated commands run meanwhile.
   * The matching line is consumed by this command (not dispatched to URC handlers).
   * `prefix`: the literal text the awaited URC starts with (`+QMTSUB: 0,7,`). A line must start
   * with it and match `pattern`, so one compiled `pattern` can serve every command of a kind and
   * only the prefix changes per message id. Without it, `pattern` alone decides.
   */
  awaitUrc?: { pattern: RegExp; timeoutMs: number; prefix?: string };
  /**
   * Re-send after a refusal this many times, with backoff (default 0: fail with ModemBusyError).
   * A refusal is `busy p...` / `busy s...` as the first answer to an attempt. A `busy` after
   * other output for the command (`WIFI DISCONNECT` during AT+CWJAP) is progress: the channel
   * keeps waiting for the final under the command's own timeout and never re-sends. Any line
   * arriving during the backoff (a final completes the command) cancels the re-send: busy was
   * not the only answer (docs/at-channel.md, busy).
   */
  busyRetries?: number;
}

export interface AtResponse {
  /** The command line as sent, with secrets redacted (for errors and traces). */
  command: string;
  /** Information lines that matched `responsePrefixes`, in order. */
  readonly lines: readonly string[];
  /** The final result line (e.g. `OK`). */
  final: string;
  /** For `awaitUrc`: the URC line and its match. */
  urc?: string;
  urcMatch?: RegExpMatchArray;
}

/** A handler for a raw (length-prefixed) read that follows a URC header. */
export interface RawClaim {
  /** Exactly this many bytes after the header belong to the handler, whatever they contain. */
  length: number;
  onRaw(payload: Buffer): void;
}

export interface UrcHandler {
  /** For logs and removal. */
  name: string;
  /** The line (or partial line) must start with this. */
  prefix: string;
  /**
   * Complete-line form: called for a whole line that starts with `prefix` and matches `line` (if
   * given). Handlers are asked in the order added; the first that matches takes the line.
   */
  line?: RegExp;
  onLine?(line: string, match: RegExpMatchArray | null): void;
  /**
   * Partial-line form, for a header followed by raw bytes (`+QMTRECV: 0,1,"t",73,"`,
   * `+MQTTSUBRECV:0,"t",12,`): tested against the bytes since the last line break while
   * the line is still open. When it matches, `onPartial` returns how many raw bytes to claim.
   * The bytes after the claimed payload up to the next line break (e.g. a closing `"`) are dropped.
   */
  partial?: RegExp;
  onPartial?(match: RegExpMatchArray): RawClaim | undefined;
  /**
   * Continuation (docs/at-channel.md): for a URC whose quoted payload may run over line breaks
   * (BC26 `+QMTRECV: 0,1,"t","hello` CR LF `RDY` CR LF `world"`, no length field). Asked with a
   * line that starts with `prefix`, then with the text so far after each following line: true
   * while the URC is still open. While it is open the channel appends every following line to
   * the text, with the line break bytes before it exactly as received, and routes nothing else:
   * no final, echo, boot banner, prompt, raw read or other URC handler sees those lines. When it
   * says false, `onLine(fullText, match)` is called (match: `line` run on the full text; a full
   * text that `line` does not match goes to 'unsolicited' instead). The full text holds the line
   * breaks, which `.` does not match: write the payload group as `[\s\S]*` or use the `s` flag.
   */
  continues?(textSoFar: string): boolean;
  /** Cap on the continued text in UTF-8 bytes (default 8192). */
  maxContinuationBytes?: number;
  /** Cap on the time from the first line to the last (default 10000 ms). */
  maxContinuationMs?: number;
  /**
   * Called when a cap ends an open continuation (or the channel closes under it). The text so
   * far is the handler's to report; normal routing resumes with the next line.
   */
  onContinuationAbandoned?(textSoFar: string, reason: ContinuationAbandonReason): void;
  /**
   * Unterminated URC (docs/at-channel.md): the `line` regex may match a PREFIX of a received
   * line, because the module prints this URC without a line end (ESP-AT
   * `+MQTTDISCONNECTED:0+MQTTPUB:FAIL`). The matched part is routed as a line of its own (this
   * handler gets it) and the rest of the line is routed after it, also as a line of its own.
   * Needs `line`.
   */
  unterminated?: boolean;
}

/** Why an open continuation was given up: its byte cap, its time cap, or the channel closed. */
export type ContinuationAbandonReason = 'bytes' | 'time' | 'closed';

export interface AtChannelOptions {
  dialect: AtDialect;
  /** Lines that mean the modem restarted (`RDY`, `ready`, `POWERED DOWN`, `Leaving the BROM`...). */
  bootBanners?: (string | RegExp)[];
  /** Default per-command timeout (5000 ms). */
  defaultTimeoutMs?: number;
  /** Called for every line in (`<<`) and out (`>>`), secrets already replaced by `***`. */
  trace?: (direction: '>>' | '<<', text: string) => void;
  /** Quiet period that ends the drain phase of a resync (default 200 ms). */
  resyncQuietMs?: number;
  /**
   * Boot output printed WITHOUT a line end, so it may be glued to the next line (BC26: a
   * bootloader tag after `Leaving the BROM`). A line starting with one is a restart sign, and
   * the rest of the line is routed as a line of its own. A RegExp must match at the start.
   */
  bootTags?: (string | RegExp)[];
  /**
   * ESP8266: a boot ROM log received at the wrong baud rate is a restart sign: a line that is
   * mostly unprintable (at least 8 such chars), or one holding `ets Jan  8 2013` or
   * `rst cause:<n>`. One 'reboot' per burst: further such lines within 2 s of the last one
   * are dropped (a boot banner such as `ready` still gives its own 'reboot').
   */
  rebootOnGarbage?: boolean;
  /**
   * The command that switches echo off (`ATE0`). Once it succeeded, an echo of a command is a
   * restart sign (a module comes back from a reset with echo on), until the next restart.
   */
  echoOffCommand?: string;
  /**
   * After this many consecutive command timeouts (any command; awaitUrc waits do not count)
   * the channel emits 'unresponsive' (default 3, ModemManager's rule). Any final or busy
   * answer resets the count. A resync whose `AT` gets no OK emits 'unresponsive' too.
   */
  timeoutsToUnresponsive?: number;
}

/*
 * AtChannel (class in channel.ts), constructed as `new AtChannel(transport, options)`:
 *   command(opts: AtCommandOptions): Promise<AtResponse>
 *   addUrc(handler: UrcHandler): () => void          // returns a remover
 *   addSecret(secret: string): void                   // redacted in traces and error messages
 *   render(template, view): string                    // the escaped line, for tests and size checks
 *   close(): Promise<void>                            // fails queued commands with AtClosedError
 * Events: 'unsolicited' (line), 'reboot' (banner line or other restart sign), 'close' (reason?),
 *   'unresponsive' (reason: string): the modem stopped answering commands (timeoutsToUnresponsive
 *   consecutive timeouts, or a resync that got no OK); the owner should treat it as lost.
 * A prompt command (AtCommandOptions.prompt) that times out, before or after its `>`, gets an
 * ESC (0x1B) written before the resync, so a module still in data mode leaves it.
 * Errors (errors.ts): AtTimeoutError, AtCommandError {command, final, cmeCode?, cmsCode?},
 *   ModemRebootedError, ModemBusyError, AtArgumentError, AtClosedError
 */
