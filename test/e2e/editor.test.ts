import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';

// The product as a person sees it: `scripts/demo.js` (IoTDA emulator + Node-RED + the demo flow on
// an emulated EC20) on free ports, the editor opened in headless Chromium through playwright-core.
// Skipped, with the reason, where Chromium or playwright-core is not installed.

const root = path.resolve(__dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const en = JSON.parse(fs.readFileSync(path.join(root, 'nodes', 'locales', 'en-US', 'iotda-at.json'), 'utf8'));
const zh = JSON.parse(fs.readFileSync(path.join(root, 'nodes', 'locales', 'zh-CN', 'iotda-at.json'), 'utf8'));

function playwrightCore(): PlaywrightCore | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('playwright-core') as PlaywrightCore;
  } catch {
    return null;
  }
}
const pw = playwrightCore();
const skip = !fs.existsSync(CHROMIUM)
  ? `${CHROMIUM} not found: apt-get install chromium (or set CHROMIUM) to run the browser test`
  : !pw
    ? 'playwright-core is not installed: npm install --no-save playwright-core to run the browser test'
    : !fs.existsSync(path.join(root, 'dist', 'nodes', 'iotda-at.js'))
      ? 'dist/ is not built (npm run build)'
      : false;

// The few playwright-core calls used here, typed locally so the test compiles where the package
// is absent (it is then skipped). Callbacks given to evaluate/waitForFunction run in the page.
interface Locator {
  fill(value: string): Promise<void>;
  hover(): Promise<void>;
  click(): Promise<void>;
  waitFor(options?: { state?: 'visible' | 'hidden' | 'attached' | 'detached'; timeout?: number }): Promise<void>;
  getAttribute(name: string): Promise<string | null>;
  textContent(): Promise<string | null>;
  filter(options: { hasText?: string | RegExp }): Locator;
  first(): Locator;
}
interface Page {
  goto(url: string): Promise<unknown>;
  locator(selector: string): Locator;
  evaluate<R, A>(fn: (arg: A) => R, arg: A): Promise<R>;
  waitForFunction<A>(fn: (arg: A) => unknown, arg: A, options?: { timeout?: number }): Promise<unknown>;
}
interface BrowserContext {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}
interface Browser {
  newContext(options: { locale: string; viewport: { width: number; height: number } }): Promise<BrowserContext>;
  close(): Promise<void>;
}
interface PlaywrightCore {
  chromium: { launch(options: { executablePath: string; args: string[] }): Promise<Browser> };
}

// Page-side globals, only ever touched inside callbacks that run in the browser.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const RED: any;
declare const document: any;
declare const $: any;
/* eslint-enable @typescript-eslint/no-explicit-any */

interface Demo {
  url: string;
  child: ChildProcess;
  exited: Promise<unknown>;
}

/** Starts scripts/demo.js on free ports in `dir`; resolves once it printed the editor URL. */
function startDemo(dir: string): Promise<Demo> {
  const child = spawn(process.execPath, [path.join(root, 'scripts', 'demo.js')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, IOTDA_DEMO_MQTT_PORT: '0', IOTDA_DEMO_HTTP_PORT: '0', IOTDA_DEMO_UI_PORT: '0', IOTDA_DEMO_DIR: dir, IOTDA_DEMO_QUIET: '1' },
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let out = '';
  child.stderr!.on('data', (c) => (out += c));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c) => {
      out += c;
      const m = /Node-RED editor: (\S+)/.exec(out);
      if (m) resolve({ url: m[1], child, exited });
    });
    void exited.then((code) => reject(new Error(`demo exited (${code}) before it was ready:\n${out}`)));
  });
}

async function stopDemo(demo: Demo | undefined): Promise<void> {
  if (!demo) return;
  // demo.js stops Node-RED and the emulator on SIGINT, then exits.
  if (demo.child.exitCode === null && demo.child.signalCode === null) demo.child.kill('SIGINT');
  const killer = setTimeout(() => demo.child.kill('SIGKILL'), 20000);
  await demo.exited;
  clearTimeout(killer);
}

/** A fresh browser context in `locale` with the editor loaded and our node types registered. */
async function openEditor(browser: Browser, url: string, locale: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale, viewport: { width: 1600, height: 1000 } });
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => typeof RED !== 'undefined' && RED.nodes && RED.nodes.getType('at-publish'), null, { timeout: 60000 });
  await page.locator('#red-ui-workspace-chart g.red-ui-flow-node-group').first().waitFor();
  return { context, page };
}

/** Id of the first node of `type` (and `kind`) in the editor's flow. */
function nodeId(page: Page, type: string, kind?: string): Promise<string> {
  return page.evaluate(({ type, kind }) => {
    let id = '';
    const visit = (n: { id: string; type: string; kind?: string }) => {
      if (!id && n.type === type && (!kind || n.kind === kind)) id = n.id;
    };
    RED.nodes.eachNode(visit);
    RED.nodes.eachConfig(visit);
    return id;
  }, { type, kind });
}

async function openEditDialog(page: Page, id: string): Promise<void> {
  await page.evaluate((id) => RED.editor.edit(RED.nodes.node(id)), id);
  await page.locator('#node-dialog-ok').waitFor();
}

/** Closes every open edit tray without keeping changes. */
async function cancelDialogs(page: Page): Promise<void> {
  await page.evaluate(() => {
    for (let i = 0; i < 5 && document.querySelector('.red-ui-tray'); i++) RED.tray.close();
  }, null);
  await page.waitForFunction(() => document.querySelectorAll('.red-ui-tray').length === 0, null);
}

describe('editor in Chromium against the running demo', { skip }, () => {
  let dir = '';
  let demo: Demo | undefined;
  let browser: Browser | undefined;
  let page: Page;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iotda-at-e2e-'));
    demo = await startDemo(dir);
    browser = await pw!.chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    ({ page } = await openEditor(browser, demo.url, 'en-US'));
  });

  after(async () => {
    await browser?.close();
    await stopDemo(demo);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists IoTDA publish and subscribe in the palette under "Huawei IoTDA", the two config types in the config sidebar', async () => {
    const category = page.locator('#red-ui-palette-container-Huawei_IoTDA');
    await category.waitFor();
    for (const type of ['at-publish', 'at-subscribe']) {
      const node = page.locator(`#red-ui-palette-container-Huawei_IoTDA .red-ui-palette-node[data-palette-type="${type}"]`);
      await node.waitFor();
      assert.equal(await node.getAttribute('data-palette-label'), en[type].paletteLabel);
    }
    const header = await page.locator('#red-ui-palette-container-Huawei_IoTDA .red-ui-palette-header').textContent();
    assert.match(header ?? '', /Huawei IoTDA/);

    const configCategory = await page.evaluate(() => ['modem-config', 'mqtt-at-connect'].map((t) => RED.nodes.getType(t)?.category), null);
    assert.deepEqual(configCategory, ['config', 'config']);
    await page.evaluate(() => RED.sidebar.show('config'), null);
    for (const type of ['modem-config', 'mqtt-at-connect']) {
      // The config sidebar lists each type in use with its nodes (the demo has one of each).
      await page.locator('.red-ui-palette-node-config-type').filter({ hasText: new RegExp(`^${type}$`) }).first().waitFor();
    }
  });

  it("shows a connected (green) status under every IoTDA node of the demo flow", async () => {
    const ids = await page.evaluate(() => {
      const out: string[] = [];
      RED.nodes.eachNode((n: { id: string; type: string }) => {
        if (n.type === 'at-publish' || n.type === 'at-subscribe') out.push(n.id);
      });
      return out;
    }, null);
    assert.equal(ids.length, 3, 'the demo flow has one at-subscribe and two at-publish nodes');
    // The modem boots, attaches and logs in first: the statuses turn green within seconds.
    await page.waitForFunction(
      (ids: string[]) =>
        ids.every((id) => {
          const g = document.getElementById(id);
          const label = g && g.querySelector('.red-ui-flow-node-status-label');
          const dot = g && g.querySelector('.red-ui-flow-node-status');
          return label && /^MQTT connected, signal \d+%$/.test(label.textContent) && dot.classList.contains('red-ui-flow-node-status-dot-green');
        }),
      ids,
      { timeout: 60000 },
    );
    const labels = await page.evaluate(
      (ids: string[]) => ids.map((id) => document.getElementById(id).querySelector('.red-ui-flow-node-status-label').textContent),
      ids,
    );
    for (const label of labels) assert.match(label, /^MQTT connected, signal \d+%$/);
  });

  it("opens the at-publish dialog with the node's service id, kind and English labels", async () => {
    await openEditDialog(page, await nodeId(page, 'at-publish', 'property'));
    try {
      await page.locator('#node-input-serviceId').waitFor();
      assert.equal(await page.evaluate(() => document.getElementById('node-input-serviceId').value, null), 'stm32');
      assert.equal(await page.evaluate(() => document.getElementById('node-input-kind').value, null), 'property');
      const label = await page.locator('label[for="node-input-serviceId"]').textContent();
      assert.equal(label?.trim(), en['at-publish'].label.serviceId);
    } finally {
      await cancelDialogs(page);
    }
  });

  it('marks an invalid device id in the IoTDA connection dialog with our message, and the node invalid after Update', async () => {
    const publishId = await nodeId(page, 'at-publish', 'property');
    const connId = await nodeId(page, 'mqtt-at-connect');
    await openEditDialog(page, publishId);
    try {
      // From the publish node's dialog, the pencil next to "Connection" opens the config dialog.
      await page.locator('#node-input-btn-connection-edit').click();
      const deviceId = page.locator('#node-config-input-deviceId');
      await deviceId.waitFor();
      await deviceId.fill('bad device id!');
      // fill() fires `input`; the editor validates on change/keyup/paste.
      await page.evaluate(() => $('#node-config-input-deviceId').trigger('change'), null);
      await page.waitForFunction(() => document.getElementById('node-config-input-deviceId').classList.contains('input-error'), null);
      await deviceId.hover();
      await page.locator('.red-ui-popover').filter({ hasText: en['mqtt-at-connect'].errors.deviceId }).first().waitFor();

      await page.locator('#node-config-dialog-ok').click();
      await page.waitForFunction((id: string) => RED.nodes.node(id).valid === false, connId);
      const state = await page.evaluate((id: string) => {
        const n = RED.nodes.node(id);
        return { deviceId: n.deviceId, errors: n.validationErrors };
      }, connId);
      assert.equal(state.deviceId, 'bad device id!');
      assert.ok(state.errors.includes(en['mqtt-at-connect'].errors.deviceId), `validation errors: ${JSON.stringify(state.errors)}`);
    } finally {
      await cancelDialogs(page);
    }
  });

  it('shows the palette and the at-publish dialog in Chinese for a zh-CN browser', async () => {
    const { context, page: zhPage } = await openEditor(browser!, demo!.url, 'zh-CN');
    try {
      const node = zhPage.locator('.red-ui-palette-node[data-palette-type="at-publish"]');
      await node.waitFor();
      assert.equal(await node.getAttribute('data-palette-label'), zh['at-publish'].paletteLabel);
      assert.notEqual(zh['at-publish'].paletteLabel, en['at-publish'].paletteLabel);

      await openEditDialog(zhPage, await nodeId(zhPage, 'at-publish', 'property'));
      const label = await zhPage.locator('label[for="node-input-serviceId"]').textContent();
      assert.equal(label?.trim(), zh['at-publish'].label.serviceId);
      // "Send as" is a typedInput: the chosen option's label is drawn in the widget after the input.
      const kind = await zhPage.evaluate(() => $('#node-input-kind').next('.red-ui-typedInput-container').find('.red-ui-typedInput-option-label').text().trim(), null);
      assert.equal(kind, zh['at-publish'].kind.property);
    } finally {
      await context.close();
    }
  });
});
