/**
 * Quectel output lines that carry values from the outside world (topics, payloads, hosts) are
 * rendered from these templates with mustache, never concatenated. Quectel has no escape syntax,
 * so the escape function is the identity: a `"` inside a payload is sent as is, exactly as the
 * real +QMTRECV does (docs/models/ec20.md, "Downlinks": quoted, inner quotes not escaped).
 *
 * Values are "byte strings" (latin1: one char per byte), so binary payloads survive rendering.
 */
import Mustache from 'mustache';

export const QUECTEL_LINES = {
  qmtrecv: '+QMTRECV: {{idx}},{{mid}},"{{topic}}","{{payload}}"',
  qmtrecvWithLength: '+QMTRECV: {{idx}},{{mid}},"{{topic}}",{{length}},"{{payload}}"',
  qmtopenQuery: '+QMTOPEN: {{idx}},"{{host}}",{{port}}',
  qmtcfgString: '+QMTCFG: "{{name}}",{{values}}',
  qsslcfg: '+QSSLCFG: "{{name}}",{{ctx}},{{value}}',
  qiact: '+QIACT: {{cid}},1,1,"{{ip}}"',
  qicsgp: '+QICSGP: {{type}},"{{apn}}","{{user}}","{{pass}}",{{auth}}',
  ip: '+IP: {{ip}}',
  qcgdefcont: '+QCGDEFCONT: "IP","{{apn}}"',
} as const;

export function renderQuectelLine(template: string, view: Record<string, string | number>): Buffer {
  const bytes = Mustache.render(template, view, {}, { escape: (v: unknown) => String(v) });
  return Buffer.from(bytes, 'latin1');
}

/** UTF-8 text as a byte string, for rendering. */
export function byteString(value: string | Buffer): string {
  return (typeof value === 'string' ? Buffer.from(value, 'utf8') : value).toString('latin1');
}
