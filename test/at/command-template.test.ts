/**
 * Command templates are rendered by mustache with a lean view context (plain names are one
 * property read): the result must be what Mustache.render gives with the same escape, for every
 * kind of value; and a rendered CR, LF or NUL is refused even when a dialect lets it through.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Mustache from 'mustache';
import { renderAtCommand } from '../../dist/at/command-template';
import { createQuectelDialect, espDialect, quectelDialect } from '../../dist/at/dialects';
import { AtArgumentError } from '../../dist/at/errors';
import type { AtDialect } from '../../dist/at/types';

/** Mustache's own rendering with the dialect's escape: the reference. */
function byMustache(dialect: AtDialect, template: string, view: unknown): string {
  return Mustache.render(template, view, {}, { escape: (v: unknown) => dialect.escape(typeof v === 'string' ? v : String(v)) });
}

describe('template rendering equals Mustache.render with the escape', () => {
  const TEMPLATES = ['AT+QMTSUB={{idx}},{{mid}},"{{topic}}",{{qos}}', '{{a}}{{b}}', 'AT', 'AT+X={{ a }},"{{b}}"', '{{a}}'];
  const VIEWS: Record<string, unknown>[] = [
    { idx: 0, mid: 7, topic: '$oc/devices/d/sys/#', qos: 1, a: 'x', b: 2 },
    { a: null, b: undefined, idx: false, mid: NaN, qos: -0 },
    { a: 0, b: '', topic: 'é温', idx: 1.5 },
    {
      n: 3,
      a(this: { n: number }) {
        return `f${this.n}`;
      },
      b: () => null,
    },
    {},
  ];
  for (const template of TEMPLATES) {
    VIEWS.forEach((view, i) => {
      it(`${template} with view ${i} renders as mustache does`, () => {
        assert.equal(renderAtCommand(espDialect, template, view), byMustache(espDialect, template, view));
        assert.equal(renderAtCommand(quectelDialect, template, view), byMustache(quectelDialect, template, view));
      });
    });
  }

  it('renders right when a view function renders another command while it renders (the shared context is in use)', () => {
    const view = {
      inner: () => renderAtCommand(quectelDialect, 'AT+Y={{b}}', { b: 'in' }),
      c: 'out',
    };
    assert.equal(renderAtCommand(quectelDialect, 'AT+X={{inner}},{{c}}', view), 'AT+X=AT+Y=in,out');
    // And the shared context is free again afterwards.
    assert.equal(renderAtCommand(quectelDialect, 'AT+X={{inner}},{{c}}', { inner: 'a', c: 'b' }), 'AT+X=a,b');
  });

  it('passes every value through the escape', () => {
    assert.throws(() => renderAtCommand(quectelDialect, 'AT+X="{{v}}"', { v: 'a"b' }), AtArgumentError);
    assert.equal(renderAtCommand(espDialect, 'AT+X="{{v}}"', { v: 'a"b,c\\' }), 'AT+X="a\\"b\\,c\\\\"');
  });
});

describe('rendered line check', () => {
  const permissive: AtDialect = { name: 'permissive', terminator: '\r', escape: (v: string) => v };
  for (const bad of ['a\rb', 'a\nb', 'a\x00b']) {
    it(`refuses a value that renders ${JSON.stringify(bad)} when the dialect lets it through`, () => {
      assert.throws(() => renderAtCommand(permissive, 'AT+X="{{v}}"', { v: bad }), /CR, LF or NUL/);
    });
  }
});

describe('dialect escapes decide as the rules say', () => {
  it('quectel with commas allowed still refuses quotes and control characters', () => {
    const d = createQuectelDialect({ allowComma: true });
    assert.equal(d.escape('a,b'), 'a,b');
    assert.throws(() => d.escape('a"b'), /0x22/);
    assert.throws(() => d.escape('a\x1fb'), /0x1F/);
    assert.throws(() => quectelDialect.escape('a,b'), /0x2C/);
    assert.equal(quectelDialect.escape('\x7f~ é温'), '\x7f~ é温');
  });
  // Alone, after one char and after twelve: the position of a char does not change the answer.
  for (const pad of ['', 'x', 'xxxxxxxxxxxx']) {
    it(`every char 0x00-0x7F and two non-ASCII ones, in a value of ${pad.length + 1} chars, decide as the rules say`, () => {
      const chars = [...Array.from({ length: 0x80 }, (_, c) => String.fromCharCode(c)), 'é', '温'];
      for (const ch of chars) {
        const c = ch.charCodeAt(0);
        const value = pad + ch;
        const quectelRefuses = c < 0x20 || c === 0x22 || c === 0x2c;
        if (quectelRefuses) assert.throws(() => quectelDialect.escape(value), AtArgumentError, `quectel ${c}`);
        else assert.equal(quectelDialect.escape(value), value, `quectel ${c}`);
        if (c === 0x0d || c === 0x0a || c === 0x00) assert.throws(() => espDialect.escape(value), AtArgumentError, `esp ${c}`);
        else assert.equal(espDialect.escape(value), c === 0x5c || c === 0x22 || c === 0x2c ? `${pad}\\${ch}` : value, `esp ${c}`);
      }
    });
  }

  it('esp escapes backslash, quote and comma and refuses CR, LF, NUL', () => {
    assert.equal(espDialect.escape('plain é'), 'plain é');
    assert.equal(espDialect.escape('a\\b"c,d'), 'a\\\\b\\"c\\,d');
    for (const bad of ['\r', '\n', '\x00']) assert.throws(() => espDialect.escape(`x${bad}`), AtArgumentError);
  });
});
