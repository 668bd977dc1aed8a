import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LinkStatus } from '../../dist/link/link-supervisor';
import { CATALOG_NS, NESTED_LEAD, editorText, editorTextWith, linkStatusView, type StatusViewOptions } from '../../dist/nodes/status-view';
import { baseCreds, baseFlow, helper, iotdaAt, isOnline, statusWhere, useNodeRig, type FlowNode } from './flow-rig';
import { within } from '../modems/event-deadline';
import { requireFromRuntime } from '../nr5/node-red-under-test';

// Node statuses are sent as catalog ids (or i18next $t() nesting with the numbers) so that the
// EDITOR translates them into its user's language. These tests check, on the runtime side,
// what text each link state produces, that every id exists in both catalogs with the right
// placeholders, and what a real i18next set up like the editor's makes of those texts.
// test/e2e/status-language.test.ts checks the same in the real editor in Chromium.

const root = join(__dirname, '..', '..');
const catalogs: Record<string, FlowNode> = {
  'en-US': JSON.parse(readFileSync(join(root, 'nodes', 'locales', 'en-US', 'iotda-at.json'), 'utf8')),
  'zh-CN': JSON.parse(readFileSync(join(root, 'nodes', 'locales', 'zh-CN', 'iotda-at.json'), 'utf8')),
};

/** The catalog keys and the numbers a status text refers to, or undefined for runtime text. */
function parseStatusText(text: string): Array<{ key: string; numbers: Record<string, number> }> | undefined {
  const prefix = `${CATALOG_NS}:`;
  if (text.startsWith(prefix)) return [{ key: text.slice(prefix.length), numbers: {} }];
  const ns = CATALOG_NS.replace(/[/-]/g, '\\$&');
  // One or more nested parts after the lead word: `$t(ns:key, {numbers})` or `$t(ns:key)`.
  const part = `\\$t\\(${ns}:([\\w.-]+)(?:, (\\{[^}]*\\}))?\\)`;
  if (!new RegExp(`^${NESTED_LEAD} (?:${part})+$`).test(text)) return undefined;
  return [...text.matchAll(new RegExp(part, 'g'))].map((m) => ({ key: m[1], numbers: m[2] ? JSON.parse(m[2]) : {} }));
}

function lookup(lang: string, key: string): unknown {
  return key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as FlowNode)[k] : undefined), catalogs[lang]);
}

const placeholders = (s: string) => [...s.matchAll(/__(\w+)__/g)].map((m) => m[1]).sort();

/**
 * What the editor does with a status text (red.js, "status/#"): texts starting with a letter
 * or `@` go through `node._`, which prefixes the node set's namespace to ids without `:`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function editorView(i18n: any, text: string): string {
  if (!/^[@a-zA-Z]/.test(text)) return text;
  const key = text.includes(':') ? text : `${CATALOG_NS}:${text}`;
  const out = i18n.t(key, { defaultValue: text });
  return out === key ? text : out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function editorI18n(lng: string): Promise<any> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const i18next = require('i18next');
  const i18n = i18next.createInstance();
  // The editor's options (editor-client red.js, RED.i18n.init), with our catalog as its namespace.
  await i18n.init({
    lng,
    fallbackLng: ['en-US'],
    ns: [CATALOG_NS],
    defaultNS: 'editor',
    keySeparator: '.',
    nsSeparator: ':',
    returnObjects: true,
    interpolation: { unescapeSuffix: 'HTML', escapeValue: false, prefix: '__', suffix: '__' },
    resources: { 'en-US': { [CATALOG_NS]: catalogs['en-US'] }, 'zh-CN': { [CATALOG_NS]: catalogs['zh-CN'] } },
    showSupportNotice: false,
  });
  return i18n;
}

const runtimeT = (k: string, p?: Record<string, unknown>) => `${k}${p ? JSON.stringify(p) : ''}`;

/** Every link state a user can see, with what the status should be. */
const CASES: Array<{ name: string; s: LinkStatus; queued?: number; opts?: StatusViewOptions; want: { fill: string; shape: string; en: string; zh: string } }> = [
  { name: 'opening the port', s: { state: 'opening-port', step: 'port', queued: 0 }, want: { fill: 'yellow', shape: 'ring', en: 'connecting: port', zh: '连接中：串口' } },
  { name: 'modem init', s: { state: 'init', step: 'modem', queued: 0 }, want: { fill: 'yellow', shape: 'ring', en: 'connecting: modem', zh: '连接中：模组' } },
  { name: 'SIM', s: { state: 'attaching', step: 'sim', queued: 0 }, want: { fill: 'yellow', shape: 'ring', en: 'connecting: SIM', zh: '连接中：SIM 卡' } },
  { name: 'PDP (shown as network)', s: { state: 'attaching', step: 'pdp', queued: 0 }, want: { fill: 'yellow', shape: 'ring', en: 'connecting: network', zh: '连接中：网络' } },
  { name: 'Wi-Fi', s: { state: 'attaching', step: 'wifi', queued: 0 }, want: { fill: 'yellow', shape: 'ring', en: 'connecting: Wi-Fi', zh: '连接中：Wi-Fi' } },
  { name: 'MQTT', s: { state: 'connecting', step: 'mqtt', queued: 0 }, want: { fill: 'yellow', shape: 'ring', en: 'connecting: MQTT', zh: '连接中：MQTT' } },
  { name: 'subscribing', s: { state: 'subscribing', step: 'subscribe', queued: 0 }, want: { fill: 'yellow', shape: 'ring', en: 'connecting: subscribe', zh: '连接中：订阅' } },
  { name: 'an unknown step', s: { state: 'init', step: 'warp', queued: 0 }, want: { fill: 'yellow', shape: 'ring', en: 'connecting', zh: '连接中' } },
  { name: 'online with signal', s: { state: 'online', signal: 80, queued: 0 }, want: { fill: 'green', shape: 'dot', en: 'MQTT connected, signal 80%', zh: 'MQTT 已连接，信号 80%' } },
  { name: 'online without signal', s: { state: 'online', queued: 0 }, want: { fill: 'green', shape: 'dot', en: 'connected', zh: '已连接' } },
  // Sign type 1: the clock the login was signed with follows (a second nested text).
  { name: 'online with signal, signed with network time', s: { state: 'online', signal: 80, clock: 'network', queued: 0 }, want: { fill: 'green', shape: 'dot', en: 'MQTT connected, signal 80%, clock: network', zh: 'MQTT 已连接，信号 80%，时钟：网络' } },
  { name: 'online without signal, signed with the host clock', s: { state: 'online', clock: 'host', queued: 0 }, want: { fill: 'green', shape: 'dot', en: 'MQTT connected, clock: host', zh: 'MQTT 已连接，时钟：本机' } },
  { name: 'online unverified TLS, network time', s: { state: 'online', signal: 55, clock: 'network', queued: 0 }, opts: { tlsUnverified: true }, want: { fill: 'green', shape: 'dot', en: 'MQTT connected (TLS unverified), signal 55%, clock: network', zh: 'MQTT 已连接（TLS 未验证），信号 55%，时钟：网络' } },
  { name: 'online unverified TLS, no signal', s: { state: 'online', queued: 0 }, opts: { tlsUnverified: true }, want: { fill: 'green', shape: 'dot', en: 'connected (TLS unverified)', zh: '已连接（TLS 未验证）' } },
  { name: 'queued while connecting', s: { state: 'connecting', step: 'mqtt', queued: 3 }, queued: 3, want: { fill: 'yellow', shape: 'dot', en: 'MQTT queued 3', zh: 'MQTT 排队 3' } },
  { name: 'held by the flow', s: { state: 'held', queued: 0 }, want: { fill: 'grey', shape: 'ring', en: 'disconnected (by flow)', zh: '已断开（由流程控制）' } },
  { name: 'held with a queue', s: { state: 'held', queued: 2 }, queued: 2, want: { fill: 'grey', shape: 'ring', en: 'MQTT disconnected (by flow), queued 2', zh: 'MQTT 已断开（由流程控制），排队 2 条' } },
  { name: 'stopping', s: { state: 'stopping', queued: 0 }, want: { fill: 'grey', shape: 'ring', en: 'disconnected', zh: '已断开' } },
  { name: 'stopped', s: { state: 'stopped', queued: 0 }, want: { fill: 'grey', shape: 'ring', en: 'stopped', zh: '已停止' } },
  { name: 'idle', s: { state: 'idle', queued: 0 }, want: { fill: 'grey', shape: 'ring', en: 'stopped', zh: '已停止' } },
];

describe('status texts the editor translates', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const i18n: Record<string, any> = {};
  before(async () => {
    i18n['en-US'] = await editorI18n('en-US');
    i18n['zh-CN'] = await editorI18n('zh-CN');
  });

  it('names the namespace the editor files our catalog under: <package>/<node set>', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const sets = Object.keys(pkg['node-red'].nodes);
    assert.deepEqual(sets, ['iotda-at']);
    assert.equal(CATALOG_NS, `${pkg.name}/${sets[0]}`);
  });

  for (const c of CASES) {
    it(`${c.name}: ${c.want.fill} ${c.want.shape}, "${c.want.en}" / "${c.want.zh}"`, () => {
      const st = linkStatusView(c.s, runtimeT, c.queued ?? 0, c.opts);
      assert.equal(st.fill, c.want.fill);
      assert.equal(st.shape, c.want.shape);
      const refs = parseStatusText(st.text!);
      assert.ok(refs, `not a catalog id or $t() text: ${st.text}`);
      for (const ref of refs) {
        for (const lang of ['en-US', 'zh-CN']) {
          const template = lookup(lang, ref.key);
          assert.equal(typeof template, 'string', `${ref.key} missing in ${lang}`);
          assert.deepEqual(placeholders(template as string), Object.keys(ref.numbers).sort(), `${ref.key} placeholders in ${lang}`);
        }
      }
      assert.equal(editorView(i18n['en-US'], st.text!), c.want.en);
      assert.equal(editorView(i18n['zh-CN'], st.text!), c.want.zh);
    });
  }

  it('keeps the error reason as runtime text (red ring), shortened', () => {
    const reason = 'the modem answered ERROR to AT+QMTOPEN=0,"iot-mqtts.cn-north-4.myhuaweicloud.com",1883';
    const st = linkStatusView({ state: 'backoff', reason, queued: 0 }, (k, p) => String(p?.reason ?? k));
    assert.deepEqual({ fill: st.fill, shape: st.shape }, { fill: 'red', shape: 'ring' });
    assert.ok(st.text!.length <= 48 && st.text!.endsWith('…'), st.text);
    assert.ok(reason.startsWith(st.text!.slice(0, -1)));
    // The editor leaves a plain sentence as it is.
    assert.equal(editorView(i18n['zh-CN'], st.text!), st.text);
  });

  it('leads with the summary (a modem error\'s meaning) when the link has one', () => {
    const st = linkStatusView(
      { state: 'backoff', reason: 'AT+QMTOPEN=0,"h",1883: +QMTOPEN: 0,-1 (failed to open the network)', summary: 'failed to open the network (+QMTOPEN: 0,-1)', queued: 0 },
      (k, p) => String(p?.reason ?? k),
    );
    assert.equal(st.text, 'failed to open the network (+QMTOPEN: 0,-1)');
  });

  it('puts only finite numbers inside $t(): anything else becomes 0', () => {
    assert.equal(editorTextWith('iotda-at.status.queued', { count: Number.NaN }), `MQTT $t(${CATALOG_NS}:iotda-at.status.queued, {"count":0})`);
    assert.equal(editorText('iotda-at.errors.noConnection'), `${CATALOG_NS}:iotda-at.errors.noConnection`);
    assert.equal(editorView(i18n['zh-CN'], editorText('iotda-at.errors.noConnection')), catalogs['zh-CN']['iotda-at'].errors.noConnection);
  });

  it('keeps en-US and zh-CN status sections in step (same keys, same placeholders)', () => {
    const flat = (o: FlowNode, p = ''): Record<string, string> =>
      Object.entries(o).reduce<Record<string, string>>((acc, [k, v]) => (typeof v === 'string' ? { ...acc, [p + k]: v } : { ...acc, ...flat(v, `${p}${k}.`) }), {});
    const en = flat(catalogs['en-US']['iotda-at'].status);
    const zh = flat(catalogs['zh-CN']['iotda-at'].status);
    assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort());
    for (const k of Object.keys(en)) {
      assert.deepEqual(placeholders(zh[k]), placeholders(en[k]), k);
      if (!/^(error)$/.test(k)) assert.notEqual(zh[k], en[k], `${k} is not translated`);
    }
  });
});

describe('status texts in a running flow', () => {
  const rig = useNodeRig();

  const statusNode = requireFromRuntime('@node-red/nodes/core/common/25-status.js');

  it('a Status node gets the same language-neutral text the editor translates: online with the signal', async () => {
    const flow: FlowNode[] = [
      ...baseFlow('ec20', rig.emu.mqttPort),
      { id: 'p1', type: 'at-publish', z: 'f1', connection: 'c1', kind: 'property', serviceId: 'stm32' },
      { id: 'st', type: 'status', z: 'f1', scope: ['p1'], wires: [['out']] },
      { id: 'out', type: 'helper', z: 'f1' },
    ];
    await helper.load([iotdaAt, statusNode], flow, baseCreds('ec20'));
    // The Status node's msg for the green status with the signal, whenever it comes.
    const out = helper.getNode('out');
    const fromStatusNode = within(
      new Promise<FlowNode>((resolve) => {
        const on = (m: FlowNode) => {
          if (m.status?.fill !== 'green' || !/connectedSignal/.test(m.status.text)) return;
          out.removeListener('input', on);
          resolve(m);
        };
        out.on('input', on);
      }),
      'no green status from the Status node',
      30000,
    );
    // Green comes first without the signal; the signal query follows right after.
    const online = await statusWhere(helper.getNode('p1'), (st) => isOnline(st) && /connectedSignal/.test(String(st.text)), 30000);
    const msg = await fromStatusNode;
    assert.equal(msg.status.text, online.text, 'the Status node gets the text the editor gets');
    assert.equal(msg.status.source.id, 'p1');
    const refs = parseStatusText(online.text);
    assert.equal(refs?.length, 1, online.text);
    const ref = refs![0];
    assert.equal(ref.key, 'iotda-at.status.connectedSignal', online.text);
    const signal = ref.numbers.signal;
    assert.ok(Number.isInteger(signal) && signal >= 0 && signal <= 100, `signal ${signal}`);
    assert.equal(editorView(await editorI18n('zh-CN'), online.text), `MQTT 已连接，信号 ${signal}%`);
    assert.equal(editorView(await editorI18n('en-US'), online.text), `MQTT connected, signal ${signal}%`);
  });

  it('an at-publish without a connection shows the fully qualified noConnection id', async () => {
    const flow: FlowNode[] = [{ id: 'f1', type: 'tab', label: 't' }, { id: 'p1', type: 'at-publish', z: 'f1', connection: 'nope', kind: 'property' }];
    await helper.load([iotdaAt], flow);
    const st = await statusWhere(helper.getNode('p1'), (s) => s.fill === 'red');
    assert.equal(st.text, `${CATALOG_NS}:iotda-at.errors.noConnection`);
  });
});
