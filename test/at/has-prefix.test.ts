/**
 * hasPrefix replaces String#startsWith on the per-line paths: it must answer exactly as
 * startsWith does, for every pair of texts and prefixes (shorter, longer, equal, empty,
 * non-ASCII, sliced strings).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hasPrefix } from '../../dist/at/has-prefix';

describe('hasPrefix', () => {
  const texts = ['', '+', '+Q', '+QMTPUB: 0,1,0', '+QMTPUB:', '+QMTPUB', 'OK', '信号: 20', '+QMTRECV: 0,1,"t",3,"abc"'.slice(0, 12), 'x'.repeat(40) + '+QMTPUB: 1'];
  const prefixes = ['', '+', '+Q', '+QMTPUB:', '+QMTPUB: ', '+QMTSUB:', 'OK', 'OK ', '信号:', '信', '+QMTRECV:', 'x'.repeat(40)];
  for (const text of texts) {
    it(`answers as startsWith for ${JSON.stringify(text.slice(0, 20))}`, () => {
      for (const prefix of prefixes) assert.equal(hasPrefix(text, prefix), text.startsWith(prefix), `${JSON.stringify(text)} / ${JSON.stringify(prefix)}`);
    });
  }
  it('answers as startsWith(prefix, at) at every position', () => {
    const text = '\r\n+QMTRECV: 0,1,"t",3,"abc"';
    // Positions within the text (startsWith clamps one past the end; callers never pass one).
    for (let at = 0; at <= text.length; at++) {
      for (const prefix of prefixes) assert.equal(hasPrefix(text, prefix, at), text.startsWith(prefix, at), `${at} / ${JSON.stringify(prefix)}`);
    }
    assert.ok(hasPrefix(text, '+QMTRECV:', 2) && !hasPrefix(text, '+QMTRECV:', 0));
  });

  it('is not trivially true or false over the table', () => {
    const answers = texts.flatMap((t) => prefixes.map((p) => hasPrefix(t, p)));
    assert.ok(answers.includes(true) && answers.includes(false));
  });
});
