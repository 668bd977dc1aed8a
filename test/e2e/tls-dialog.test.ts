/**
 * The TLS verification rows of the IoTDA connection dialog in Chromium (issue 14 item 1): the
 * choice appears with TLS on, the CA rows only for "my CA", the warning only for "encrypt
 * without verifying", and "my CA" without a CA is marked invalid until a PEM is pasted.
 * Skipped, with the reason, where Chromium or playwright-core is not installed.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { closeTrays, openEditor, root, skipBrowser, useDemoAndBrowser, type Page } from './editor-session';

const en = JSON.parse(fs.readFileSync(path.join(root, 'nodes', 'locales', 'en-US', 'iotda-at.json'), 'utf8'));

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const RED: any;
declare const document: any;
declare const $: any;
/* eslint-enable @typescript-eslint/no-explicit-any */

describe('IoTDA connection dialog: TLS verification', { skip: skipBrowser }, () => {
  const session = useDemoAndBrowser('iotda-at-tls-e2e-');
  let page: Page;
  before(async () => {
    ({ page } = await openEditor(session.browser, session.demo.url, 'en-US'));
  });

  const visible = (selector: string): Promise<boolean> => page.evaluate((sel: string) => $(sel).is(':visible'), selector);
  const hasError = (id: string) => page.evaluate((id: string) => document.getElementById(id).classList.contains('input-error'), id);

  it('"Verify with my CA" without a CA is invalid, a pasted PEM makes it valid; rows follow the choice', async () => {
    const connId = await page.evaluate(() => {
      let id = '';
      RED.nodes.eachConfig((n: { id: string; type: string }) => {
        if (!id && n.type === 'mqtt-at-connect') id = n.id;
      });
      return id;
    }, null);
    await page.evaluate((id: string) => RED.editor.editConfig('', 'mqtt-at-connect', id), connId);
    try {
      await page.locator('#node-config-input-tls').waitFor({ state: 'attached' });
      // TLS off (the demo): no verification rows.
      assert.equal(await visible('#node-config-input-tlsVerify'), false);
      await page.evaluate(() => $('#node-config-input-tls').prop('checked', true).trigger('change'), null);
      assert.equal(await visible('#node-config-input-tlsVerify'), true);
      assert.equal(await page.evaluate(() => $('#node-config-input-tlsVerify').val(), null), 'iotda');
      assert.equal(await visible('#node-config-input-caPem'), false);

      await page.evaluate(() => $('#node-config-input-tlsVerify').val('custom').trigger('change'), null);
      assert.equal(await visible('#node-config-input-caPem'), true);
      assert.equal(await visible('#node-config-input-caFile'), true);
      await page.waitForFunction(() => document.getElementById('node-config-input-tlsVerify').classList.contains('input-error'), null);
      await page.locator('#node-config-input-tlsVerify').hover();
      await page.locator('.red-ui-popover').filter({ hasText: en['mqtt-at-connect'].errors.caMissing }).first().waitFor();

      await page.locator('#node-config-input-caPem').fill('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----');
      await page.evaluate(() => $('#node-config-input-caPem').trigger('change'), null);
      await page.waitForFunction(() => !document.getElementById('node-config-input-tlsVerify').classList.contains('input-error'), null);
      assert.equal(await hasError('node-config-input-tlsVerify'), false);

      await page.evaluate(() => $('#node-config-input-tlsVerify').val('none').trigger('change'), null);
      assert.equal(await visible('#node-config-input-caPem'), false);
      assert.equal(await visible('.iotda-at-row-unverified'), true);
      assert.match(await page.evaluate(() => $('.iotda-at-row-unverified').text(), null), /anyone on the network path can pose as IoTDA/);
    } finally {
      await closeTrays(page);
    }
  });
});
