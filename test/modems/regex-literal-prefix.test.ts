/** The literal prefix the driver gives an awaited URC must never be longer than what every match starts with. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { literalPrefixOfSource } from '../../dist/modems/regex-literal-prefix';

const CASES: { re: RegExp; prefix: string; matches?: string }[] = [
  { re: /^\+QMTSUB: 0,7,(\d+)/, prefix: '+QMTSUB: 0,7,', matches: '+QMTSUB: 0,7,0,1' },
  { re: /^\+QMTOPEN: 0,(-?\d+)$/, prefix: '+QMTOPEN: 0,', matches: '+QMTOPEN: 0,-1' },
  { re: /^ab?c/, prefix: 'a', matches: 'ac' },
  { re: /^ab*c/, prefix: 'a', matches: 'ac' },
  { re: /^ab{0,2}c/, prefix: 'a', matches: 'ac' },
  { re: /^a\.b\dc/, prefix: 'a.b', matches: 'a.b5c' },
  { re: /^(?:x|y)/, prefix: '' },
  { re: /^OK/i, prefix: '', matches: 'ok' },
  { re: /QMTPUB/, prefix: '', matches: '+QMTPUB: 0' },
];

const prefixOf = (re: RegExp): string => literalPrefixOfSource(re.source, re.flags).prefix;

describe('literalPrefixOfSource', () => {
  for (const c of CASES) {
    it(String(c.re), () => {
      assert.equal(prefixOf(c.re), c.prefix);
      if (c.matches) {
        assert.ok(c.re.test(c.matches));
        assert.ok(c.matches.startsWith(prefixOf(c.re)));
      }
    });
  }
});
