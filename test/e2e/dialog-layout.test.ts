import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';

// The edit dialogs as a person sees them, in en-US and zh-CN: every dialog of the running demo
// (scripts/demo.js) opened in headless Chromium, in each variant that shows other rows (modem
// model, publish and subscribe kind), and measured. What review found by eye (a label wrapping
// to two lines, a select whose text is cut, a tip sticking out past the fields) is a geometry
// fact here. Each dialog is measured at the width the editor opens it with and again at 500px,
// the narrowest tray Node-RED opens. Skipped, with the reason, without Chromium or playwright-core.

const root = path.resolve(__dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const LOCALES = ['en-US', 'zh-CN'];
const NARROW_TRAY = 500;

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
interface Page {
  goto(url: string): Promise<unknown>;
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
declare function getComputedStyle(el: any): any;
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

/** One dialog in one state: the node to open, and what to choose so the state's rows show. */
interface DialogCase {
  type: string;
  variant: string;
  /** Runs in the page with the dialog open: picks the model or kind of the variant. */
  choose?: 'model' | 'kind';
}

const CASES: DialogCase[] = [
  ...['ec20', 'bc26', 'esp8266'].map((variant): DialogCase => ({ type: 'modem-config', variant, choose: 'model' })),
  { type: 'mqtt-at-connect', variant: '' },
  ...['property', 'message', 'command-response', 'property-set-response', 'property-get-response', 'event', 'raw']
    .map((variant): DialogCase => ({ type: 'at-publish', variant, choose: 'kind' })),
  ...['messages', 'commands', 'property-set', 'property-get', 'events', 'raw']
    .map((variant): DialogCase => ({ type: 'at-subscribe', variant, choose: 'kind' })),
];

/** Opens the edit tray of the demo's first node of `type` and waits until it has slid in. */
async function openDialog(page: Page, type: string): Promise<void> {
  await page.evaluate((type: string) => {
    let node: { id: string; _def: { category: string } } | null = null;
    const visit = (n: { id: string; type: string; _def: { category: string } }) => {
      if (!node && n.type === type) node = n;
    };
    RED.nodes.eachNode(visit);
    RED.nodes.eachConfig(visit);
    if (!node) throw new Error(`no ${type} node in the demo flow`);
    const found = node as { id: string; _def: { category: string } };
    if (found._def.category === 'config') RED.editor.editConfig('', type, found.id);
    else RED.editor.edit(found);
  }, type);
  // The tray slides in (a transition of `right`) and takes the focus when it is done.
  await page.waitForFunction(() => {
    const tray = [...document.querySelectorAll('.red-ui-tray')].pop();
    return tray && getComputedStyle(tray).right === '0px' && tray.contains(document.activeElement);
  }, null);
}

/** Shows the rows of a variant the way a user does: an emulator port picks its model; the kind is a typedInput. */
async function choose(page: Page, c: DialogCase): Promise<void> {
  if (c.choose === 'model') {
    await page.evaluate((model: string) => {
      $('#node-config-input-port').val(`sim:${model}`).trigger('change');
      $('#node-config-input-model').val(model).trigger('change');
    }, c.variant);
    await page.waitForFunction((model: string) => $('#node-config-input-model').val() === model, c.variant);
  } else if (c.choose === 'kind') {
    await page.evaluate((kind: string) => $('#node-input-kind').typedInput('value', kind), c.variant);
    await page.waitForFunction((kind: string) => $('#node-input-kind').typedInput('value') === kind, c.variant);
  }
}

/** Closes every open tray without keeping changes. */
async function closeDialogs(page: Page): Promise<void> {
  await page.evaluate(() => {
    for (let i = 0; i < 5 && document.querySelector('.red-ui-tray'); i++) RED.tray.close();
  }, null);
  await page.waitForFunction(() => document.querySelectorAll('.red-ui-tray').length === 0, null);
}

/** Narrows the open tray to `width` px the way a drag of its edge does, content min-width included. */
async function narrowTray(page: Page, width: number): Promise<void> {
  await page.evaluate((width: number) => {
    const tray = $('.red-ui-tray').last();
    tray.find('.red-ui-tray-body').css('min-width', '');
    tray.width(width);
  }, width);
  await page.waitForFunction((width: number) => Math.round($('.red-ui-tray').last().width()) === width, width);
}

/**
 * Measures the open dialog in the page; returns one sentence per flaw, so a failure names the row.
 * Runs in the browser: no closures over test-side values.
 */
function layoutFlaws(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const flaws: string[] = [];
    const tray = [...document.querySelectorAll('.red-ui-tray')].pop();
    const form = tray.querySelector('.red-ui-tray-body form');
    const visible = (el: any) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
    const box = (el: any) => el.getBoundingClientRect();
    const name = (el: any) => el.id ? `#${el.id}` : (el.textContent || '').trim().slice(0, 40) || el.className;

    // Lines a label's text takes: its text and icon boxes grouped by vertical overlap.
    const lines = (el: any) => {
      const range = document.createRange();
      range.selectNodeContents(el);
      const rects = [...range.getClientRects()].filter((r: any) => r.width > 0 && r.height > 0).sort((a: any, b: any) => a.top - b.top);
      let count = 0;
      let bottom = -Infinity;
      for (const r of rects as any[]) {
        if (r.top >= bottom - 2) count += 1;
        bottom = Math.max(bottom, r.bottom);
      }
      return count;
    };

    const rows = [...form.querySelectorAll('.form-row')].filter(visible);
    // The field column: where the Name field (there in every dialog, 70% wide) starts and ends.
    const nameField = form.querySelector('input[id$="-input-name"]');
    const left = Math.round(box(nameField).left);
    const right = Math.round(box(nameField).right);

    for (const row of rows) {
      for (const label of [...row.querySelectorAll('label')].filter(visible)) {
        if (!label.textContent.trim()) continue;
        const n = lines(label);
        if (n !== 1) flaws.push(`label "${label.textContent.trim()}" takes ${n} lines`);
        if (label.scrollWidth > label.clientWidth + 1) flaws.push(`label "${label.textContent.trim()}" is cut (${label.scrollWidth} > ${label.clientWidth}px)`);
      }
      // What follows the row's label, in order: the field, a config select's edit/add buttons,
      // the text beside a checkbox, a unit.
      const first = row.children[0];
      const controls = [...row.children].slice(1).filter((el: any) => visible(el) && el.tagName !== 'DATALIST');
      if (!first || first.tagName !== 'LABEL' || controls.length === 0) continue;
      const start = Math.round(box(controls[0]).left);
      if (Math.abs(start - left) > 1) flaws.push(`field ${name(controls[0])} starts at ${start}px, not in the field column at ${left}px`);
      if (box(first).right > start + 1) flaws.push(`label "${first.textContent.trim()}" runs into its field`);
      const end = Math.round(Math.max(...controls.map((el: any) => box(el).right)));
      // A field given a width in px (baud rate, QoS, keepalive...) and a checkbox with its text
      // are short on purpose; every other row, tips included, ends on the column's right edge.
      const short = controls.some((el: any) => /px$/.test(el.style.width) || el.type === 'checkbox');
      if (end > right + 1) flaws.push(`row of ${name(controls[0])} ends at ${end}px, past the fields' right edge ${right}px`);
      else if (!short && Math.abs(end - right) > 1) flaws.push(`row of ${name(controls[0])} ends at ${end}px, not on the fields' right edge ${right}px`);
    }

    // Rows and tips keep Node-RED's spacing: none sits right on the one above (a tip outside a
    // form-row has no margin of its own).
    const blocks = [...form.querySelectorAll('.form-row, .form-tips')]
      .filter((el: any) => visible(el) && !el.parentElement.closest('.form-row'))
      .sort((a: any, b: any) => box(a).top - box(b).top);
    for (let i = 1; i < blocks.length; i++) {
      const gap = Math.round(box(blocks[i]).top - box(blocks[i - 1]).bottom);
      if (gap < 8) flaws.push(`${name(blocks[i])} is ${gap}px below the row above it, less than 8px`);
    }
    // A checkbox is level with the text beside it.
    for (const checkbox of [...form.querySelectorAll('.form-row input[type="checkbox"]')].filter(visible)) {
      const text = [...checkbox.parentElement.querySelectorAll(`label[for="${checkbox.id}"]`)].pop();
      const middle = (el: any) => (box(el).top + box(el).bottom) / 2;
      if (text && Math.abs(middle(checkbox) - middle(text)) > 3) flaws.push(`checkbox #${checkbox.id} is not level with its text`);
    }

    // Inputs, selects and tips inside the rows share the column's right edge (groups checked above).
    for (const el of [...form.querySelectorAll('.form-row input[type="text"], .form-row input[type="password"], .form-row select, .form-row textarea')].filter(visible)) {
      if (/px$/.test(el.style.width) || el.closest('.iotda-at-field-group') || el.closest('.red-ui-typedInput-container')) continue;
      if (el.tagName === 'SELECT' && el.parentElement.querySelector('.red-ui-button')) continue; // a config select: its buttons end the row
      const r = Math.round(box(el).right);
      if (Math.abs(r - right) > 1) flaws.push(`${name(el)} ends at ${r}px, not on the fields' right edge ${right}px`);
    }

    // Our own option texts (translated, so data-i18n) fit their select; the node names in config selects are the user's.
    const canvas = document.createElement('canvas').getContext('2d');
    for (const select of [...form.querySelectorAll('select')].filter(visible)) {
      const style = getComputedStyle(select);
      canvas.font = style.font;
      // Room for text: the inner width less padding and the drop-down arrow.
      const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
      for (const option of select.querySelectorAll('option[data-i18n]')) {
        const w = Math.ceil(canvas.measureText(option.textContent).width);
        if (w > room) flaws.push(`option "${option.textContent}" of ${name(select)} is cut (${w} > ${Math.floor(room)}px)`);
      }
    }
    // A typedInput draws the chosen option's label in a button of its own width.
    for (const label of [...form.querySelectorAll('.red-ui-typedInput-option-label')].filter(visible)) {
      if (label.scrollWidth > label.clientWidth + 1) flaws.push(`typedInput label "${label.textContent.trim()}" is cut`);
    }
    // Tips below the rows stay inside the form; nothing makes the tray scroll sideways.
    for (const tip of [...form.querySelectorAll('.form-tips')].filter(visible)) {
      if (box(tip).right > box(form).right + 1) flaws.push(`tip "${name(tip)}" sticks out of the form`);
    }
    const body = tray.querySelector('.red-ui-tray-body');
    if (body.scrollWidth > body.clientWidth + 1) flaws.push(`the tray scrolls sideways (${body.scrollWidth} > ${body.clientWidth}px)`);
    return flaws;
  }, null);
}

describe('edit dialog layout in Chromium, en-US and zh-CN', { skip }, () => {
  let dir = '';
  let demo: Demo | undefined;
  let browser: Browser | undefined;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iotda-at-layout-'));
    demo = await startDemo(dir);
    browser = await pw!.chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await browser?.close();
    await stopDemo(demo);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const locale of LOCALES) {
    describe(locale, () => {
      let context: BrowserContext | undefined;
      let page: Page;

      before(async () => {
        context = await browser!.newContext({ locale, viewport: { width: 1600, height: 1000 } });
        page = await context.newPage();
        await page.goto(demo!.url);
        await page.waitForFunction(() => typeof RED !== 'undefined' && RED.nodes && RED.nodes.getType('at-publish'), null, { timeout: 60000 });
        await page.waitForFunction(() => document.querySelector('#red-ui-workspace-chart .red-ui-flow-node'), null, { timeout: 60000 });
      });

      after(async () => {
        await context?.close();
      });

      it(`serves the ${locale} catalog to the dialogs`, async () => {
        // Guards the rest: a dialog measured in the wrong language proves nothing about this one.
        const catalog = JSON.parse(fs.readFileSync(path.join(root, 'nodes', 'locales', locale, 'iotda-at.json'), 'utf8'));
        const shown = await page.evaluate(() => RED._('node-red-contrib-iotda-at/iotda-at:at-publish.label.kind'), null);
        assert.equal(shown, catalog['at-publish'].label.kind);
      });

      for (const c of CASES) {
        it(`${c.type}${c.variant ? ` (${c.variant})` : ''}: one-line labels, fields on one right edge, texts not cut`, async () => {
          await openDialog(page, c.type);
          try {
            await choose(page, c);
            const opened = await layoutFlaws(page);
            assert.deepEqual(opened, [], 'at the width the editor opened the tray with');
            await narrowTray(page, NARROW_TRAY);
            const narrow = await layoutFlaws(page);
            assert.deepEqual(narrow, [], `in a ${NARROW_TRAY}px tray`);
          } finally {
            await closeDialogs(page);
          }
        });
      }
    });
  }
});
