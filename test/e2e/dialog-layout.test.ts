import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { closeTrays, openEditor, root, skipBrowser, useDemoAndBrowser, type BrowserContext, type Page } from './editor-session';

// The edit dialogs as a person sees them, in en-US and zh-CN: every dialog of the running demo
// (scripts/demo.js) opened in headless Chromium, in each variant that shows other rows (modem
// model, publish and subscribe kind, a new node), and measured. What review found by eye (a
// label wrapping to two lines, a select whose text is cut, a tip sticking out past the fields,
// a row stuck to the tip above it) is a geometry fact here. Each dialog is measured at the width
// the editor opens it with and again at 500px, the narrowest tray Node-RED opens.

const LOCALES = ['en-US', 'zh-CN'];
const NARROW_TRAY = 500;

// Page-side globals, only ever touched inside callbacks that run in the browser.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const RED: any;
declare const document: any;
declare const $: any;
declare function getComputedStyle(el: any): any;
/* eslint-enable @typescript-eslint/no-explicit-any */

/** One dialog in one state: the node to open, and what to choose so the state's rows show. */
interface DialogCase {
  type: string;
  variant: string;
  /** A new config node (the dialog of "Add new ..."), not the demo's. */
  fresh?: boolean;
  /** What to pick with the dialog open: the model, the kind, or "add new" in the modem select. */
  choose?: 'model' | 'kind' | 'no-modem';
}

const CASES: DialogCase[] = [
  ...['ec20', 'bc26', 'esp8266'].map((variant): DialogCase => ({ type: 'modem-config', variant, choose: 'model' })),
  { type: 'modem-config', variant: 'new', fresh: true },
  { type: 'mqtt-at-connect', variant: '' },
  { type: 'mqtt-at-connect', variant: 'new, no modem chosen', fresh: true, choose: 'no-modem' },
  ...['property', 'message', 'command-response', 'property-set-response', 'property-get-response', 'event', 'raw']
    .map((variant): DialogCase => ({ type: 'at-publish', variant, choose: 'kind' })),
  ...['messages', 'commands', 'property-set', 'property-get', 'events', 'raw']
    .map((variant): DialogCase => ({ type: 'at-subscribe', variant, choose: 'kind' })),
];

/** Opens the edit tray of the demo's first node of `type` (or of a new one) and waits until it has slid in. */
async function openDialog(page: Page, type: string, fresh = false): Promise<void> {
  await page.evaluate(({ type, fresh }) => {
    // '_ADD_' is the editor's own id for "Add new config node".
    if (fresh) return RED.editor.editConfig('', type, '_ADD_');
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
  }, { type, fresh });
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
  } else if (c.choose === 'no-modem') {
    await page.evaluate(() => $('#node-config-input-modem').val('_ADD_').trigger('change'), null);
    await page.waitForFunction(() => $('#node-config-input-modem').val() === '_ADD_', null);
  } else if (c.choose === 'kind') {
    await page.evaluate((kind: string) => $('#node-input-kind').typedInput('value', kind), c.variant);
    await page.waitForFunction((kind: string) => $('#node-input-kind').typedInput('value') === kind, c.variant);
  }
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
      if (!tip.textContent.trim()) flaws.push(`tip ${name(tip)} is an empty box`);
    }
    const body = tray.querySelector('.red-ui-tray-body');
    if (body.scrollWidth > body.clientWidth + 1) flaws.push(`the tray scrolls sideways (${body.scrollWidth} > ${body.clientWidth}px)`);
    return flaws;
  }, null);
}

describe('edit dialog layout in Chromium, en-US and zh-CN', { skip: skipBrowser }, () => {
  const session = useDemoAndBrowser('iotda-at-layout-');

  for (const locale of LOCALES) {
    describe(locale, () => {
      let context: BrowserContext | undefined;
      let page: Page;

      before(async () => {
        ({ context, page } = await openEditor(session.browser, session.demo.url, locale));
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
          await openDialog(page, c.type, c.fresh);
          try {
            await choose(page, c);
            const opened = await layoutFlaws(page);
            assert.deepEqual(opened, [], 'at the width the editor opened the tray with');
            await narrowTray(page, NARROW_TRAY);
            const narrow = await layoutFlaws(page);
            assert.deepEqual(narrow, [], `in a ${NARROW_TRAY}px tray`);
          } finally {
            await closeTrays(page);
          }
        });
      }
    });
  }
});
