import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LinkStatus } from '../../dist/link/link-supervisor';
import { CATALOG_NS, NESTED_LEAD, linkStatusView } from '../../dist/nodes/status-view';
import { greenStatusLabels, openEditor, root, skipBrowser, useDemoAndBrowser } from './editor-session';

// Node statuses in the EDITOR USER's language: the demo (at-publish and at-subscribe on an
// emulated EC20 logged in to the IoTDA emulator) runs with an English runtime, and the editor
// opened in Chromium with a zh-CN and an en-US locale must show the online status, signal
// value included, in the browser's language under every IoTDA node.

const catalog = (lang: string) => JSON.parse(fs.readFileSync(path.join(root, 'nodes', 'locales', lang, 'iotda-at.json'), 'utf8'));
const en = catalog('en-US');
const zh = catalog('zh-CN');

/** The online status as the editor shows it, from the catalog template (see src/nodes/status-view.ts). */
function onlineLabel(template: string, clockSuffix: string): RegExp {
  const escape = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^MQTT ${escape(template).replace('__signal__', '(\\d+)')}${escape(clockSuffix)}$`);
}

/** Every link state with a catalog text (error reasons are runtime text and not here). */
const STATES: Array<[LinkStatus, number]> = [
  [{ state: 'opening-port', step: 'port', queued: 0 }, 0],
  [{ state: 'attaching', step: 'sim', queued: 0 }, 0],
  [{ state: 'attaching', step: 'wifi', queued: 0 }, 0],
  [{ state: 'connecting', step: 'mqtt', queued: 0 }, 0],
  [{ state: 'subscribing', step: 'subscribe', queued: 0 }, 0],
  [{ state: 'init', queued: 0 }, 0],
  [{ state: 'online', signal: 42, queued: 0 }, 0],
  [{ state: 'online', queued: 0 }, 0],
  [{ state: 'online', signal: 42, clock: 'network', queued: 0 }, 0],
  [{ state: 'online', clock: 'host', queued: 0 }, 0],
  [{ state: 'backoff', reason: 'x', queued: 5 }, 5],
  [{ state: 'held', queued: 0 }, 0],
  [{ state: 'held', queued: 7 }, 7],
  [{ state: 'stopping', queued: 0 }, 0],
  [{ state: 'stopped', queued: 0 }, 0],
];

/** What a status text should read in a catalog, worked out from the catalog itself. */
function expectedText(cat: Record<string, unknown>, text: string): string {
  const find = (key: string) => key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], cat) as string;
  if (text.startsWith(`${CATALOG_NS}:`)) return find(text.slice(CATALOG_NS.length + 1));
  // One or more nested parts after the lead word (the clock follows the connected text).
  const part = /\$t\([^:]+:([\w.-]+)(?:, (\{[^}]*\}))?\)/g;
  assert.match(text, new RegExp(`^\\S+ (?:${part.source})+$`), `not a status text of ours: ${text}`);
  const parts = [...text.matchAll(part)].map((m) => {
    const numbers = (m[2] ? JSON.parse(m[2]) : {}) as Record<string, number>;
    return find(m[1]).replace(/__(\w+)__/g, (_all, name: string) => String(numbers[name]));
  });
  return `${NESTED_LEAD} ${parts.join('')}`;
}

// Page-side global, only ever touched inside callbacks that run in the browser.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const RED: any;

describe('node status in the editor user’s language', { skip: skipBrowser }, () => {
  // An English gateway: the runtime's own RED._ renders English.
  const session = useDemoAndBrowser('iotda-at-status-lang-', { LC_ALL: 'en_US.UTF-8', LANG: 'en_US.UTF-8' });

  const signals: Record<string, string[]> = {};

  for (const { locale, cat, language } of [
    { locale: 'zh-CN', cat: zh, language: 'Chinese' },
    { locale: 'en-US', cat: en, language: 'English' },
  ]) {
    it(`shows the online status with its signal in ${language} to a ${locale} browser, and every other status text`, async () => {
      const { context, page } = await openEditor(session.browser, session.demo.url, locale);
      try {
        // The demo signs with sign type 1 and the emulated network's time.
        const pattern = onlineLabel(cat['iotda-at'].status.connectedSignal, cat['iotda-at'].status.clockSuffix.network);
        const labels = await greenStatusLabels(page, pattern);
        signals[locale] = labels.map((l) => pattern.exec(l)![1]);
        for (const s of signals[locale]) assert.ok(Number(s) > 0 && Number(s) <= 100, `signal ${s}% in ${labels.join(' | ')}`);
        // Nothing of the $t() form reaches the canvas.
        for (const l of labels) assert.doesNotMatch(l, /\$t\(|__/);

        // Every other status text, through the editor's own call for status texts (red.js,
        // "status/#": node._(text, {defaultValue: text}) for texts starting with a letter).
        const texts = STATES.map(([st, queued]) => linkStatusView(st, (k) => k, queued).text!);
        const shown = await page.evaluate((texts: string[]) => {
          let node: { _: (key: string, opts: unknown) => string } | undefined;
          RED.nodes.eachNode((n: { type: string; _: (key: string, opts: unknown) => string }) => {
            if (!node && n.type === 'at-publish') node = n;
          });
          return texts.map((t) => (/^[@a-zA-Z]/.test(t) ? node!._(t, { defaultValue: t }) : t));
        }, texts);
        assert.deepEqual(shown, texts.map((t) => expectedText(cat, t)));
      } finally {
        await context.close();
      }
    });
  }

  it('shows the same signal value in both languages', () => {
    assert.ok(signals['zh-CN'] && signals['en-US'], 'both locale tests ran');
    assert.deepEqual(signals['zh-CN'], signals['en-US']);
    assert.notEqual(zh['iotda-at'].status.connectedSignal, en['iotda-at'].status.connectedSignal);
  });
});
