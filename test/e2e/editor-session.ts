/**
 * What the browser tests share: `scripts/demo.js` (IoTDA emulator + Node-RED + the demo flow on an
 * emulated EC20) on free ports, and the editor in headless Chromium through playwright-core.
 * Tests are skipped, with the reason, where Chromium or playwright-core is not installed.
 */
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startDemo, type Demo } from '../demo/demo-process';

export const root = path.resolve(__dirname, '..', '..');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

function playwrightCore(): PlaywrightCore | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('playwright-core') as PlaywrightCore;
  } catch {
    return null;
  }
}
const pw = playwrightCore();

/** Why the browser tests cannot run here, or false. */
export const skipBrowser: string | false = !fs.existsSync(CHROMIUM)
  ? `${CHROMIUM} not found: apt-get install chromium (or set CHROMIUM) to run the browser test`
  : !pw
    ? 'playwright-core is not installed: npm install --no-save playwright-core to run the browser test'
    : !fs.existsSync(path.join(root, 'dist', 'nodes', 'iotda-at.js'))
      ? 'dist/ is not built (npm run build)'
      : false;

// The few playwright-core calls used, typed locally so the tests compile where the package is
// absent (they are then skipped). Callbacks given to evaluate/waitForFunction run in the page.
export interface Locator {
  fill(value: string): Promise<void>;
  hover(): Promise<void>;
  click(): Promise<void>;
  waitFor(options?: { state?: 'visible' | 'hidden' | 'attached' | 'detached'; timeout?: number }): Promise<void>;
  getAttribute(name: string): Promise<string | null>;
  textContent(): Promise<string | null>;
  filter(options: { hasText?: string | RegExp }): Locator;
  first(): Locator;
}
export interface Page {
  goto(url: string): Promise<unknown>;
  locator(selector: string): Locator;
  evaluate<R, A>(fn: (arg: A) => R, arg: A): Promise<R>;
  waitForFunction<A>(fn: (arg: A) => unknown, arg: A, options?: { timeout?: number }): Promise<unknown>;
}
export interface BrowserContext {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}
export interface Browser {
  newContext(options: { locale: string; viewport: { width: number; height: number } }): Promise<BrowserContext>;
  close(): Promise<void>;
}
interface PlaywrightCore {
  chromium: { launch(options: { executablePath: string; args: string[] }): Promise<Browser> };
}

export { startDemo, type Demo };

export async function stopDemo(demo: Demo | undefined): Promise<void> {
  if (!demo) return;
  // demo.js stops Node-RED and the emulator on SIGINT, then exits.
  if (demo.child.exitCode === null && demo.child.signalCode === null) demo.child.kill('SIGINT');
  const killer = setTimeout(() => demo.child.kill('SIGKILL'), 20000);
  await demo.exited;
  clearTimeout(killer);
}

export function launchBrowser(): Promise<Browser> {
  return pw!.chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Runs the demo (user dir: a fresh temp dir named after `dirPrefix`) and one Chromium for the
 * tests of the calling describe: registers its before/after hooks, which stop both and remove the
 * dir. Read `demo` and `browser` inside tests and hooks, once before() has run.
 */
export function useDemoAndBrowser(dirPrefix: string, env: NodeJS.ProcessEnv = {}): { readonly demo: Demo; readonly browser: Browser } {
  let dir = '';
  let demo: Demo | undefined;
  let browser: Browser | undefined;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), dirPrefix));
    demo = await startDemo(dir, { env });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await stopDemo(demo);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  const started = <T>(what: string, value: T | undefined): T => {
    if (value === undefined) throw new Error(`${what} is not started: read it in a test or hook, after before()`);
    return value;
  };
  return {
    get demo() {
      return started('the demo', demo);
    },
    get browser() {
      return started('the browser', browser);
    },
  };
}

// Page-side globals, only ever touched inside callbacks that run in the browser.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const RED: any;
declare const document: any;
/* eslint-enable @typescript-eslint/no-explicit-any */

/** A fresh browser context in `locale` with the editor loaded and our node types registered. */
export async function openEditor(browser: Browser, url: string, locale: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale, viewport: { width: 1600, height: 1000 } });
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => typeof RED !== 'undefined' && RED.nodes && RED.nodes.getType('at-publish'), null, { timeout: 60000 });
  await page.locator('#red-ui-workspace-chart g.red-ui-flow-node-group').first().waitFor();
  return { context, page };
}

/** Closes every open edit tray without keeping changes; resolves once none is left. */
export async function closeTrays(page: Page): Promise<void> {
  await page.evaluate(() => {
    for (let i = 0; i < 5 && document.querySelector('.red-ui-tray'); i++) RED.tray.close();
  }, null);
  await page.waitForFunction(() => document.querySelectorAll('.red-ui-tray').length === 0, null);
}

/**
 * Waits until every IoTDA node of the demo flow (one at-subscribe, two at-publish) shows a green
 * dot and a status label matching `pattern`; returns the labels.
 */
export async function greenStatusLabels(page: Page, pattern: RegExp): Promise<string[]> {
  const ids = await page.evaluate(() => {
    const out: string[] = [];
    RED.nodes.eachNode((n: { id: string; type: string }) => {
      if (n.type === 'at-publish' || n.type === 'at-subscribe') out.push(n.id);
    });
    return out;
  }, null);
  assert.equal(ids.length, 3, 'the demo flow has one at-subscribe and two at-publish nodes');
  // The modem boots, attaches and logs in first; the signal follows right after the login.
  await page.waitForFunction(
    ({ ids, source }: { ids: string[]; source: string }) =>
      ids.every((id) => {
        const label = document.getElementById(id)?.querySelector('.red-ui-flow-node-status-label');
        const dot = document.getElementById(id)?.querySelector('.red-ui-flow-node-status');
        return label && new RegExp(source).test(label.textContent) && dot.classList.contains('red-ui-flow-node-status-dot-green');
      }),
    { ids, source: pattern.source },
    { timeout: 60000 },
  );
  return page.evaluate(
    (ids: string[]) => ids.map((id) => document.getElementById(id).querySelector('.red-ui-flow-node-status-label').textContent as string),
    ids,
  );
}
