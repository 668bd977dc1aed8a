import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

// What Node-RED and the flow library load, checked on the built package: every file beside the
// .js named in package.json, every catalog key the editor asks for, and the example flows.

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const TYPES = ['modem-config', 'mqtt-at-connect', 'at-publish', 'at-subscribe'];
const FLOW_TYPES = ['at-publish', 'at-subscribe'];
const LANGS = ['en-US', 'zh-CN'];
// Core nodes the examples may use: nothing a user would have to install.
const CORE_TYPES = ['comment', 'inject', 'debug', 'function', 'switch', 'change', 'template', 'delay', 'catch', 'status', 'complete', 'link in', 'link out', 'json', 'tab', 'group'];

type Catalog = { [key: string]: string | Catalog };

function flatten(obj: Catalog, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
  }
  return out;
}

function placeholders(s: string): string[] {
  return [...s.matchAll(/__(\w+)__/g)].map((m) => m[1]).sort();
}

const entries = Object.entries<string>(pkg['node-red'].nodes);

for (const [set, jsRel] of entries) {
  const js = path.join(root, jsRel);
  const dir = path.dirname(js);
  const base = path.basename(js, '.js');
  const htmlFile = path.join(dir, `${base}.html`);
  const runtimeBuilt = fs.existsSync(js);

  describe(`node set ${set} (${jsRel})`, () => {
    it('has its runtime .js, exporting the registration function', {
      skip: runtimeBuilt ? false : `${jsRel} is not built yet (the runtime glue is another engineer's file)`,
    }, () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(js);
      const fn = typeof mod === 'function' ? mod : mod.default;
      assert.equal(typeof fn, 'function', 'module.exports is (RED) => void');
    });

    it('has the editor .html beside it, with a literal registerType per type', () => {
      assert.ok(fs.existsSync(htmlFile), htmlFile);
      const html = fs.readFileSync(htmlFile, 'utf8');
      // node-red-dev finds definitions only in type="text/javascript" blocks with literal arguments.
      const scripts = [...html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n');
      for (const type of TYPES) {
        assert.match(scripts, new RegExp(`RED\\.nodes\\.registerType\\('${type}', \\{`), `registerType('${type}', {...})`);
        assert.match(html, new RegExp(`<script type="text/html" data-template-name="${type}">`), `template for ${type}`);
      }
      assert.doesNotMatch(html, /text\/x-red/, 'no legacy text/x-red templates');
    });

    it('has both locales (catalog and help) with a help block per type', () => {
      for (const lang of LANGS) {
        const json = path.join(dir, 'locales', lang, `${base}.json`);
        const help = path.join(dir, 'locales', lang, `${base}.html`);
        assert.ok(fs.existsSync(json), json);
        assert.ok(fs.existsSync(help), help);
        const text = fs.readFileSync(help, 'utf8');
        for (const type of TYPES) {
          const block = new RegExp(`<script type="text/(html|markdown)" data-help-name="${type}">\\s*<p>([^<]+)`).exec(text);
          assert.ok(block, `${lang} help for ${type}`);
          // The first paragraph doubles as the palette tooltip: keep it short.
          assert.ok(block[2].length <= 200, `${lang} ${type} first paragraph is short (${block[2].length})`);
        }
        if (lang === 'zh-CN') assert.match(text, /[\u4e00-\u9fff]/, 'the zh-CN help is written in Chinese');
      }
    });

    it('ships every icon it references, as 2:3 white-on-transparent SVG of at least 40x60', () => {
      const html = fs.readFileSync(htmlFile, 'utf8');
      const icons = [...html.matchAll(/icon:\s*'([^']+)'/g)].map((m) => m[1]);
      assert.ok(icons.length >= FLOW_TYPES.length, 'flow types have icons');
      for (const icon of icons) {
        assert.match(icon, /^iotda-at-[a-z-]+\.svg$/, 'globally unique icon name');
        const file = path.join(dir, 'icons', icon);
        assert.ok(fs.existsSync(file), file);
        const svg = fs.readFileSync(file, 'utf8');
        const w = Number(/<svg[^>]*\swidth="(\d+)"/.exec(svg)?.[1]);
        const h = Number(/<svg[^>]*\sheight="(\d+)"/.exec(svg)?.[1]);
        assert.ok(w >= 40 && h >= 60 && w * 3 === h * 2, `${icon} is ${w}x${h}`);
        const colours = [...svg.matchAll(/(?:fill|stroke)="([^"]+)"/g)].map((m) => m[1].toLowerCase());
        assert.ok(colours.length > 0 && colours.every((c) => ['#fff', '#ffffff', 'white', 'none'].includes(c)), `${icon} is white: ${colours}`);
      }
    });

    it('has the same catalog keys and placeholders in en-US and zh-CN', () => {
      const [en, zh] = LANGS.map((lang) => flatten(JSON.parse(fs.readFileSync(path.join(dir, 'locales', lang, `${base}.json`), 'utf8'))));
      assert.deepEqual([...zh.keys()].sort(), [...en.keys()].sort());
      for (const [key, text] of en) {
        assert.deepEqual(placeholders(zh.get(key)!), placeholders(text), `placeholders of ${key}`);
        assert.notEqual(zh.get(key)!.trim(), '', `zh-CN ${key} is not empty`);
      }
    });

    it('defines every catalog key the editor uses', () => {
      const html = fs.readFileSync(htmlFile, 'utf8');
      const own = flatten(JSON.parse(fs.readFileSync(path.join(dir, 'locales', 'en-US', `${base}.json`), 'utf8')));
      const core = flatten(JSON.parse(fs.readFileSync(require.resolve('@node-red/nodes/locales/en-US/messages.json'), 'utf8')));
      const used = [...html.matchAll(/data-i18n="([^"]+)"/g)].flatMap((m) => m[1].split(';')).map((k) => k.replace(/^\[[^\]]+\]/, ''));
      // Literal keys passed to the t() helper in the editor script.
      const literal = [...html.matchAll(/\bt\('([a-z-]+\.[A-Za-z0-9.-]+)'[,)]/g)].map((m) => m[1]);
      assert.ok(used.length > 20 && literal.length > 20, 'found the keys');
      for (const key of [...used, ...literal]) {
        if (key.startsWith('node-red:')) assert.ok(core.has(key.slice('node-red:'.length)), `core key ${key}`);
        else assert.ok(own.has(key), `catalog key ${key}`);
      }
      // Keys built from a prefix and a value: every value of the option lists needs its entry.
      const dynamic: Array<[string, string[]]> = [
        ['modem-config.model', ['ec20', 'bc26', 'esp8266']],
        ['modem-config.sim', ['ec20', 'bc26', 'esp8266']],
        ['at-publish.kind', ['property', 'message', 'command-response', 'property-set-response', 'property-get-response', 'event', 'raw']],
        ['at-publish.tip', ['property', 'message', 'command-response', 'property-set-response', 'property-get-response', 'event', 'raw']],
        ['at-subscribe.kind', ['messages', 'commands', 'property-set', 'property-get', 'events', 'raw']],
        ['at-subscribe.tip', ['messages', 'commands', 'property-set', 'property-get', 'events', 'raw']],
        ['at-subscribe.outputLabel', ['messages', 'commands', 'property-set', 'property-get', 'events', 'raw']],
        ['at-subscribe.output', ['auto', 'string', 'buffer']],
      ];
      for (const [prefix, values] of dynamic) {
        assert.ok(html.includes(`t('${prefix}.' +`), `${prefix} is built dynamically`);
        for (const v of values) assert.ok(own.has(`${prefix}.${v}`), `catalog key ${prefix}.${v}`);
      }
    });
  });
}

describe('examples', () => {
  const dir = path.join(root, 'examples');
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];

  it('exist for both flow types (flow-library N02)', () => {
    const used = new Set<string>();
    for (const f of files) for (const n of JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))) used.add(n.type);
    for (const t of FLOW_TYPES) assert.ok(used.has(t), t);
    // The demo deploys this one by name.
    assert.ok(files.some((f) => /^Demo - /.test(f)), 'one example is marked as the demo');
  });

  for (const file of files) {
    it(`${file} is a runnable flow with a Comment, core types and ours only`, () => {
      const flow = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
      assert.ok(Array.isArray(flow), 'a flat array');
      const ids = new Set<string>();
      for (const n of flow) {
        assert.equal(typeof n.id, 'string');
        assert.ok(!ids.has(n.id), `unique id ${n.id}`);
        ids.add(n.id);
        assert.ok(CORE_TYPES.includes(n.type) || TYPES.includes(n.type), `${n.type} is core or ours`);
      }
      const byId = new Map<string, Record<string, unknown>>(flow.map((n: Record<string, unknown>) => [n.id as string, n]));
      assert.ok(flow.some((n: { type: string; info?: string }) => n.type === 'comment' && /secret/i.test(n.info ?? '')),
        'a Comment saying which credentials to type in');
      for (const n of flow) {
        for (const out of n.wires ?? []) for (const target of out) assert.ok(byId.has(target), `${n.id} wires to ${target}`);
        if (n.type === 'at-publish' || n.type === 'at-subscribe') {
          assert.equal(byId.get(n.connection)?.type, 'mqtt-at-connect', `${n.id} has its connection in the file`);
        }
        if (n.type === 'mqtt-at-connect') {
          assert.equal(byId.get(n.modem)?.type, 'modem-config', `${n.id} has its modem in the file`);
          assert.deepEqual([n.host, Number(n.port), n.deviceId], ['127.0.0.1', 1883, 'demo_product_dev01']);
          assert.ok(!('secret' in n) && !('credentials' in n), 'no secret in an exported flow');
        }
        if (n.type === 'modem-config') {
          assert.match(n.port, /^sim:(ec20|bc26|esp8266)$/, 'runs on an emulator');
          assert.equal(n.port, `sim:${n.model}`);
          if (n.model === 'esp8266') assert.equal(n.wifiSsid, 'iotda-demo');
        }
      }
    });
  }
});
