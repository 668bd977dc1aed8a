/**
 * The IoTDA emulator console in Chromium at 1024 and 1440 px (and a phone width), in English and
 * Chinese: nothing scrolls sideways, the header spans the page, "online" stays beside its dot,
 * the command form starts with the demo's LED command, the latest properties are a table with
 * their time, each numeric property has a chart (uPlot, served by the emulator), the response
 * box shows the whole answer, and devices can be added and removed.
 * IOTDA_CONSOLE_SHOTS=<dir> also saves a screenshot per width and language there.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { launchBrowser, skipBrowser, type Browser } from './editor-session';
import { startConsoleRig, type ConsoleRig } from './console-session';

// Run in the page (no DOM types in this project's compile).
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const window: any;

// The few playwright calls used beyond editor-session's, typed locally.
interface ConsolePage {
  goto(url: string): Promise<unknown>;
  evaluate<R, A>(fn: (arg: A) => R, arg: A): Promise<R>;
  waitForFunction<A>(fn: (arg: A) => unknown, arg: A, options?: { timeout?: number }): Promise<unknown>;
  fill(selector: string, value: string): Promise<void>;
  click(selector: string): Promise<void>;
  on(event: 'dialog', fn: (d: { accept(): Promise<void> }) => void): void;
  screenshot(options: { path: string; fullPage?: boolean }): Promise<unknown>;
}
interface ConsoleContext {
  newPage(): Promise<ConsolePage>;
  close(): Promise<void>;
}
type NewContext = (options: { locale: string; viewport: { width: number; height: number } }) => Promise<ConsoleContext>;

interface Layout {
  viewport: number;
  scrollWidth: number;
  headerWidth: number;
  stateLines: number[];
  offscreen: string[];
  form: { service: string; command: string; paras: string };
  propertyRows: string[][];
  charts: string[];
  headings: string[];
}

/** Reads the facts the assertions need from the page. */
function readLayout(): Layout {
  const doc = document.documentElement;
  const visibleIds = ['devices-section', 'properties-section', 'send-section', 'response', 'charts', 'add-device'];
  const offscreen = visibleIds.filter((id) => {
    const r = document.getElementById(id)!.getBoundingClientRect();
    return r.width === 0 || r.height === 0 || r.left < 0 || r.right > window.innerWidth + 0.5;
  });
  // 1 when the state word is one line and its dot sits on that line, else the count of lines.
  const stateLines = Array.from(document.querySelectorAll('td.state')).map((td: any) => {
    const range = document.createRange();
    range.selectNodeContents(td.lastChild);
    const rects = Array.from(range.getClientRects()) as { top: number; bottom: number }[];
    const dot = td.querySelector('.dot').getBoundingClientRect();
    const middle = (dot.top + dot.bottom) / 2;
    return rects.length === 1 && middle > rects[0].top && middle < rects[0].bottom ? 1 : rects.length + 1;
  });
  const form = document.getElementById('command');
  const value = (name: string): string => form.elements.namedItem(name).value;
  return {
    viewport: window.innerWidth,
    scrollWidth: Math.max(doc.scrollWidth, document.body.scrollWidth),
    headerWidth: document.querySelector('header')!.getBoundingClientRect().width,
    stateLines,
    offscreen,
    form: { service: value('service_id'), command: value('command_name'), paras: value('paras') },
    propertyRows: Array.from(document.querySelectorAll('#properties tr')).map((tr: any) => Array.from(tr.querySelectorAll('td')).map((td: any) => String(td.textContent ?? '').trim())),
    charts: Array.from(document.querySelectorAll('#charts .chart')).filter((c: any) => c.querySelector('canvas')).map((c: any) => String(c.getAttribute('data-key') ?? '')),
    headings: Array.from(document.querySelectorAll('h2')).map((h: any) => String(h.textContent ?? '').trim()),
  };
}

describe('IoTDA emulator console in Chromium', { skip: skipBrowser }, () => {
  let rig: ConsoleRig;
  let browser: Browser;
  before(async () => {
    rig = await startConsoleRig();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await rig?.close();
  });

  async function open(locale: string, width: number, height = 900): Promise<{ page: ConsolePage; context: ConsoleContext }> {
    const context = await (browser.newContext as unknown as NewContext)({ locale, viewport: { width, height } });
    const page = await context.newPage();
    await page.goto(rig.emu.url);
    // Ready: the demo device selected, its properties in the table and its charts drawn.
    await page.waitForFunction(() => document.querySelectorAll('#properties tr td').length > 4 && document.querySelectorAll('#charts canvas').length >= 4, null, { timeout: 20000 });
    return { page, context };
  }

  for (const locale of ['en-US', 'zh-CN']) {
    for (const width of [1024, 1440, 390]) {
      it(`${locale} at ${width} px: no sideways scroll, full-width header, properties table, charts, LED defaults`, async () => {
        const { page, context } = await open(locale, width);
        try {
          const l = await page.evaluate(readLayout, undefined);
          assert.equal(l.viewport, width);
          assert.ok(l.scrollWidth <= width, `page is ${l.scrollWidth} px wide in a ${width} px window`);
          assert.ok(Math.abs(l.headerWidth - width) <= 1, `header ${l.headerWidth} px of ${width}`);
          assert.deepEqual(l.offscreen, [], 'sections outside the window');
          assert.ok(l.stateLines.length >= 2 && l.stateLines.every((n) => n === 1), `state cells on one line: ${l.stateLines.join(',')}`);
          assert.deepEqual(l.form, { service: 'stm32', command: 'LED', paras: '{"LED1":1}' });
          const temperature = l.propertyRows.find((r) => r[0] === 'stm32' && r[1] === 'temperature');
          assert.ok(temperature, `a temperature row: ${JSON.stringify(l.propertyRows)}`);
          assert.match(temperature![3], /^\d{1,2}:\d\d:\d\d$/, 'the row shows the report time');
          // Numbers get a chart; the string property does not.
          assert.deepEqual(l.charts, ['stm32.flame', 'stm32.humidity', 'stm32.smoke', 'stm32.temperature']);
          const expected = locale === 'zh-CN' ? ['设备', '下发到'] : ['Devices', 'Send to'];
          for (const h of expected) assert.ok(l.headings.some((x) => x.startsWith(h)), `heading ${h} in ${l.headings.join(' | ')}`);
          if (process.env.IOTDA_CONSOLE_SHOTS) {
            await page.screenshot({ path: path.join(process.env.IOTDA_CONSOLE_SHOTS, `console-${locale}-${width}.png`), fullPage: true });
          }
        } finally {
          await context.close();
        }
      });
    }
  }

  it('chart axes: distinct time ticks in the first minutes, a constant series gets a range around its value', async () => {
    const { page, context } = await open('en-US', 1024);
    try {
      // The drawn plots' own axis and scale functions (uPlot keeps them on the plot object).
      const axes = await page.evaluate(() => {
        const w = window as unknown as { charts: Record<string, { plot: any }> };
        const plot = w.charts['stm32.temperature'].plot;
        const t0 = Date.UTC(2026, 0, 1, 10, 0, 0) / 1000;
        const ticks = (splits: number[]) => plot.axes[0].values(plot, splits, 0, 0, 0) as string[];
        return {
          firstMinute: ticks([t0, t0 + 20, t0 + 40]),
          tenMinutes: ticks([t0, t0 + 300, t0 + 600]),
          constant: plot.scales.y.range(plot, 0, 0, 'y') as number[],
        };
      }, undefined);
      assert.equal(new Set(axes.firstMinute).size, 3, `ticks 20 s apart read alike: ${axes.firstMinute.join(' ')}`);
      assert.match(axes.firstMinute[0], /^\d\d:\d\d:\d\d$/);
      assert.match(axes.tenMinutes[0], /^\d\d:\d\d$/, 'minutes only once the axis spans minutes');
      assert.deepEqual(axes.constant, [-1, 1], 'an all-zero series is drawn around 0, not on a 0-100 scale');
    } finally {
      await context.close();
    }
  });

  it('shows the whole command response, and adds and removes a device', async () => {
    const { page, context } = await open('en-US', 1024);
    try {
      await page.click('#command button[type=submit]');
      await page.waitForFunction(() => /"status": "success"|"result_code": 0/.test(document.getElementById('response')!.textContent ?? ''), null, { timeout: 15000 });
      const clipped = await page.evaluate(() => {
        const r = document.getElementById('response')!;
        return { x: r.scrollWidth - r.clientWidth, y: r.scrollHeight - r.clientHeight, text: r.textContent };
      }, undefined);
      assert.ok(clipped.x <= 0 && clipped.y <= 0, `response box clipped by ${clipped.x}x${clipped.y}: ${clipped.text}`);
      assert.match(clipped.text ?? '', /"LED1": 1/);

      await page.fill('#add-device input[name=deviceId]', 'console_dev01');
      await page.fill('#add-device input[name=secret]', 'console-secret');
      await page.click('#add-device button[type=submit]');
      await page.waitForFunction(() => !!document.querySelector('#devices tr[data-id="console_dev01"]'), null, { timeout: 10000 });
      assert.ok(rig.emu.getDevice('console_dev01'), 'the emulator knows the added device');

      page.on('dialog', (d) => void d.accept());
      await page.click('#devices button[data-remove="console_dev01"]');
      await page.waitForFunction(() => !document.querySelector('#devices tr[data-id="console_dev01"]'), null, { timeout: 10000 });
      assert.equal(rig.emu.getDevice('console_dev01'), undefined);
    } finally {
      await context.close();
    }
  });
});
