/**
 * docs/at-channel.md (escaping values): every value passes one dialect function. Quectel refuses what it cannot
 * carry, ESP-AT escapes `\`, `"` and `,`. Injection attempts must never yield a second command
 * on the wire.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createQuectelDialect, espDialect, quectelDialect } from '../../dist/at/dialects';
import { AtArgumentError } from '../../dist/at/errors';
import { renderAtCommand } from '../../dist/at/command-template';
import { openChannel, settle } from './channel-fixture';

const QUECTEL_REJECTS: { value: string; mentions: RegExp }[] = [
  { value: 'a\rb', mentions: /CR/ },
  { value: 'a\nb', mentions: /LF/ },
  { value: 'say "hi"', mentions: /"\\"" \(0x22\)|0x22/ },
  { value: 'a\x00b', mentions: /NUL/ },
  { value: 'a\x1ab', mentions: /Ctrl-Z/ },
  { value: 'a\x1bb', mentions: /ESC/ },
  { value: 'tab\there', mentions: /TAB/ },
  { value: 'bell\x07', mentions: /0x07/ },
  { value: 'a,b', mentions: /0x2C/ },
];

const QUECTEL_ACCEPTS = ['iot-mqtts.cn-north-4.myhuaweicloud.com', '$oc/devices/myprod_dev01/sys/properties/report', 'p@ss w0rd!#%&\'()*+-./:;<=>?[]^_`{|}~', '温度计'];

const ESP_CASES: { value: string; escaped?: string; rejected?: RegExp }[] = [
  { value: 'plain', escaped: 'plain' },
  { value: 'a\\b', escaped: 'a\\\\b' },
  { value: 'say "hi"', escaped: 'say \\"hi\\"' },
  { value: '765933, 94875095', escaped: '765933\\, 94875095' },
  { value: '{"sensor":012}', escaped: '{\\"sensor\\":012}' },
  { value: 'a\rb', rejected: /CR/ },
  { value: 'a\nb', rejected: /LF/ },
  { value: 'a\x00b', rejected: /NUL/ },
];

describe('quectel dialect', () => {
  for (const c of QUECTEL_REJECTS) {
    it(`rejects ${JSON.stringify(c.value)} naming the character and why`, () => {
      assert.throws(
        () => quectelDialect.escape(c.value),
        (e: unknown) => e instanceof AtArgumentError && c.mentions.test(e.message) && /position \d+ /.test(e.message) && e.message.includes('quectel'),
      );
    });
  }
  for (const v of QUECTEL_ACCEPTS) {
    it(`passes ${JSON.stringify(v)} unchanged`, () => assert.equal(quectelDialect.escape(v), v));
  }
  it('accepts commas when configured for a module known to take them', () => {
    assert.equal(createQuectelDialect({ allowComma: true }).escape('a,b'), 'a,b');
  });
  it('uses CR as terminator', () => assert.equal(quectelDialect.terminator, '\r'));
});

describe('esp dialect', () => {
  for (const c of ESP_CASES) {
    it(`${c.rejected ? 'rejects' : 'escapes'} ${JSON.stringify(c.value)}`, () => {
      if (c.rejected) {
        assert.throws(() => espDialect.escape(c.value), (e: unknown) => e instanceof AtArgumentError && c.rejected!.test(e.message));
      } else {
        assert.equal(espDialect.escape(c.value), c.escaped);
      }
    });
  }
  it('uses CR LF as terminator', () => assert.equal(espDialect.terminator, '\r\n'));
});

describe('command rendering', () => {
  const TEMPLATE_REFUSALS = ['AT+X="{{{v}}}"', 'AT+X="{{& v}}"', 'AT+X="{{=<% %>=}}<%& v%>"', 'AT+X="{{ {v} }}"'];
  for (const t of TEMPLATE_REFUSALS) {
    it(`refuses the unescaped template ${t}`, () => {
      assert.throws(() => renderAtCommand(espDialect, t, { v: 'x' }), AtArgumentError);
    });
  }
  it('refuses a template whose own text holds a line break', () => {
    assert.throws(() => renderAtCommand(espDialect, 'AT+A\r\nAT+B', {}), AtArgumentError);
  });
  it('renders numbers and escapes every string value', () => {
    assert.equal(renderAtCommand(espDialect, 'AT+MQTTPUB=0,"{{t}}","{{d}}",{{q}},0', { t: 't', d: 'a,b"c', q: 1 }), 'AT+MQTTPUB=0,"t","a\\,b\\"c",1,0');
  });

  it('keeps mustache semantics: dotted names, sections, functions, missing values; each value escaped', () => {
    const view = { a: { b: 'x,y' }, n: 0, list: ['p', 'q"'], f(this: { n: number }) { return `F${this.n},`; } };
    assert.equal(
      renderAtCommand(espDialect, 'AT+X="{{a.b}}",{{n}},{{#list}}{{.}};{{/list}}{{f}}{{missing}}', view),
      'AT+X="x\\,y",0,p;q\\";F0\\,',
    );
    // The same template renders the same with a second view (parsed once, rendered per view).
    assert.equal(renderAtCommand(espDialect, 'AT+X="{{a.b}}",{{n}},{{#list}}{{.}};{{/list}}{{f}}{{missing}}', { ...view, n: 7, a: { b: 'z' } }), 'AT+X="z",7,p;q\\";F7\\,');
  });

  const INJECTION = '"\r\nAT+QPOWD\r\n';
  for (const field of ['host', 'user', 'pass']) {
    it(`quectel: an injection in ${field} is rejected and nothing is written`, async () => {
      const f = await openChannel();
      try {
        const view: Record<string, string> = { host: 'h', user: 'u', pass: 'p', [field]: INJECTION };
        const r = await settle(f.channel.command({ template: 'AT+QICSGP=1,1,"{{host}}","{{user}}","{{pass}}",1', view }));
        assert.ok(r.error instanceof AtArgumentError);
        // A probe command proves the channel still works and is the only thing on the wire.
        const probe = f.channel.command({ template: 'AT' });
        assert.equal(await f.modem.nextCommand(), 'AT');
        await f.modem.send('\r\nOK\r\n');
        await probe;
        assert.equal(f.modem.rx.toString('latin1'), 'AT\r');
      } finally {
        await f.close();
      }
    });
  }

  it('esp: an injection in the password is escaped or refused so the bytes hold exactly one command', async () => {
    const f = await openChannel({ dialect: espDialect });
    try {
      const quoteOnly = '"+AT+RST,"';
      const p = f.channel.command({ template: 'AT+CWJAP="{{ssid}}","{{pwd}}"', view: { ssid: 'x', pwd: quoteOnly } });
      const line = await f.modem.nextCommand();
      await f.modem.send('\r\nOK\r\n');
      await p;
      assert.equal(line, 'AT+CWJAP="x","\\"+AT+RST\\,\\""');
      assert.equal(f.modem.rx.toString('latin1').split('\r\n').filter(Boolean).length, 1);
      const r = await settle(f.channel.command({ template: 'AT+CWJAP="{{ssid}}","{{pwd}}"', view: { ssid: 'x', pwd: INJECTION } }));
      assert.ok(r.error instanceof AtArgumentError);
      assert.equal(f.modem.unread().length, 0, 'the refused command wrote nothing');
    } finally {
      await f.close();
    }
  });
});
