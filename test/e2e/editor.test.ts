import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { closeTrays, greenStatusLabels, openEditor, root, skipBrowser, useDemoAndBrowser, type Page } from './editor-session';

// The product as a person sees it: `scripts/demo.js` (IoTDA emulator + Node-RED + the demo flow on
// an emulated EC20) on free ports, the editor opened in headless Chromium through playwright-core.
// Skipped, with the reason, where Chromium or playwright-core is not installed.

const en = JSON.parse(fs.readFileSync(path.join(root, 'nodes', 'locales', 'en-US', 'iotda-at.json'), 'utf8'));
const zh = JSON.parse(fs.readFileSync(path.join(root, 'nodes', 'locales', 'zh-CN', 'iotda-at.json'), 'utf8'));

// Page-side globals, only ever touched inside callbacks that run in the browser.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const RED: any;
declare const document: any;
declare const $: any;
declare const window: any;
/* eslint-enable @typescript-eslint/no-explicit-any */

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

/** Lines the palette draws the type's label on: Node-RED breaks a label wider than its node with <br>. */
function paletteLines(page: Page, type: string): Promise<number> {
  return page.evaluate((type: string) => $(`.red-ui-palette-node[data-palette-type="${type}"] .red-ui-palette-label`).first().html().split(/<br\s*\/?>/).length, type);
}

async function openEditDialog(page: Page, id: string): Promise<void> {
  await page.evaluate((id) => RED.editor.edit(RED.nodes.node(id)), id);
  await page.locator('#node-dialog-ok').waitFor();
}

describe('editor in Chromium against the running demo', { skip: skipBrowser }, () => {
  const session = useDemoAndBrowser('iotda-at-e2e-');
  let page: Page;

  // Registered after the session's own before(), so it runs once the demo and browser are up.
  before(async () => {
    ({ page } = await openEditor(session.browser, session.demo.url, 'en-US'));
  });

  it('lists IoTDA publish and subscribe in the palette under "Huawei IoTDA", the two config types in the config sidebar', async () => {
    const category = page.locator('#red-ui-palette-container-Huawei_IoTDA');
    await category.waitFor();
    for (const type of ['at-publish', 'at-subscribe']) {
      const node = page.locator(`#red-ui-palette-container-Huawei_IoTDA .red-ui-palette-node[data-palette-type="${type}"]`);
      await node.waitFor();
      assert.equal(await node.getAttribute('data-palette-label'), en[type].paletteLabel);
      assert.equal(await paletteLines(page, type), 1, `"${en[type].paletteLabel}" fits on one line`);
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
    // The modem boots, attaches and logs in first: the statuses turn green within seconds.
    // The demo signs its login with sign type 1, with the emulated network's time.
    const labels = await greenStatusLabels(page, /^MQTT connected, signal \d+%, clock: network$/);
    for (const label of labels) assert.match(label, /^MQTT connected, signal \d+%, clock: network$/);
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
      await closeTrays(page);
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
      await closeTrays(page);
    }
  });

  it('marks an imported connection without its secret invalid (red triangle) before deploy, valid once the secret is typed; the deployed demo stays valid', async () => {
    const example = JSON.parse(fs.readFileSync(path.join(root, 'examples', 'Report sensor readings as properties (simulated EC20).json'), 'utf8'));
    const state = await page.evaluate((nodes: Record<string, unknown>[]) => {
      const before = new Set<string>();
      RED.nodes.eachConfig((n: { id: string }) => { before.add(n.id); });
      RED.nodes.eachNode((n: { id: string }) => { before.add(n.id); });
      window.iotdaBeforeImport = before;
      // As Import does (RED.view.importNodes): new ids, marked changed (not deployed yet).
      RED.nodes.import(nodes, { generateIds: true, markChanged: true });
      let conn: any = null;
      let demoConn: any = null;
      RED.nodes.eachConfig((n: any) => {
        if (n.type !== 'mqtt-at-connect') return;
        if (before.has(n.id)) demoConn = n;
        else conn = n;
      });
      const publisher = RED.nodes.filterNodes({ type: 'at-publish' }).find((n: any) => n.connection === conn.id);
      const imported = { valid: conn.valid, errors: conn.validationErrors, publisherValid: publisher.valid };
      // What the dialog does when the user types the secret and presses Done.
      conn.credentials = { secret: 'typed-in', has_secret: true };
      RED.editor.validateNode(conn);
      const typed = conn.valid;
      return { imported, typed, demoErrors: demoConn.validationErrors || [], conn: conn.id };
    }, example);
    try {
      assert.equal(state.imported.valid, false, 'imported connection without its secret is invalid');
      assert.ok(state.imported.errors.includes(en['mqtt-at-connect'].errors.secretMissing), JSON.stringify(state.imported.errors));
      assert.equal(state.imported.publisherValid, false, 'its publisher shows the red triangle too');
      assert.equal(state.typed, true, 'valid once the secret is typed');
      // (An earlier test gave the demo connection a bad device id: only the secret matters here.)
      assert.ok(!state.demoErrors.includes(en['mqtt-at-connect'].errors.secretMissing), `the deployed demo connection keeps its secret on the server: ${JSON.stringify(state.demoErrors)}`);
    } finally {
      // Leave the demo as it was for the following tests: remove what the import added.
      await page.evaluate(() => {
        const before: Set<string> = window.iotdaBeforeImport;
        const added: string[] = [];
        RED.nodes.eachNode((n: { id: string }) => { if (!before.has(n.id)) added.push(n.id); });
        RED.nodes.eachConfig((n: { id: string }) => { if (!before.has(n.id)) added.push(n.id); });
        for (const id of added) RED.nodes.remove(id);
        RED.view.redraw(true);
      }, null);
    }
  });

  it('shows the palette and the at-publish dialog in Chinese for a zh-CN browser', async () => {
    const { context, page: zhPage } = await openEditor(session.browser, session.demo.url, 'zh-CN');
    try {
      const node = zhPage.locator('.red-ui-palette-node[data-palette-type="at-publish"]');
      await node.waitFor();
      assert.equal(await node.getAttribute('data-palette-label'), zh['at-publish'].paletteLabel);
      assert.notEqual(zh['at-publish'].paletteLabel, en['at-publish'].paletteLabel);
      for (const type of ['at-publish', 'at-subscribe']) assert.equal(await paletteLines(zhPage, type), 1, `"${zh[type].paletteLabel}" fits on one line`);

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
