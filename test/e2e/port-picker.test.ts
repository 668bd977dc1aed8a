/**
 * The modem node's port picker in the editor, en-US and zh-CN: the count names serial ports only
 * ("1 serial port found"), each emulator is listed once and named in words, never by a catalog
 * key. The machine's own serial ports vary, so the port list the editor fetches is replaced by
 * one serial port plus the emulators, as the runtime's endpoint answers them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeTrays, openEditor, skipBrowser, useDemoAndBrowser, type Page } from './editor-session';

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const RED: any;
declare const document: any;
/* eslint-enable @typescript-eslint/no-explicit-any */

interface Route {
  fulfill(options: { status: number; contentType: string; body: string }): Promise<void>;
}
type Routable = Page & { route(url: string, handler: (route: Route) => void): Promise<void> };

const EXPECTED: Record<string, { one: string; sims: string[] }> = {
  'en-US': { one: '1 serial port found; you can also type any path', sims: ['Emulated Quectel EC20', 'Emulated Quectel BC26', 'Emulated ESP8266 (ESP-AT)'] },
  'zh-CN': { one: '找到 1 个串口；也可以直接输入任意路径', sims: ['模拟的移远 EC20', '模拟的移远 BC26', '模拟的 ESP8266（ESP-AT）'] },
};

describe('modem port picker in Chromium', { skip: skipBrowser }, () => {
  const session = useDemoAndBrowser('iotda-port-picker-');

  for (const locale of Object.keys(EXPECTED)) {
    it(`${locale}: counts one serial port as one, lists each emulator once by name`, async () => {
      const { context, page } = await openEditor(session.browser, session.demo.url, locale);
      try {
        // The runtime's answer with the machine's serial ports replaced by exactly one.
        const real = (await (await fetch(new URL('iotda-at/ports', session.demo.url))).json()) as { path: string; sim?: boolean }[];
        const answer = [{ path: '/dev/ttyUSB2', manufacturer: 'Quectel' }, ...real.filter((p) => p.sim)];
        assert.equal(answer.length, 4, `the endpoint marks the three emulators: ${JSON.stringify(real)}`);
        await (page as Routable).route('**/iotda-at/ports', (route) => void route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(answer) }));

        await page.evaluate(() => {
          let id = '';
          RED.nodes.eachConfig((n: { id: string; type: string }) => {
            if (n.type === 'modem-config' && !id) id = n.id;
          });
          RED.editor.editConfig('', 'modem-config', id);
        }, null);
        await page.waitForFunction(() => /1/.test(document.getElementById('node-config-iotda-at-port-status')?.textContent ?? ''), null, { timeout: 20000 });
        const seen = await page.evaluate(() => ({
          status: document.getElementById('node-config-iotda-at-port-status').textContent as string,
          options: Array.from(document.querySelectorAll('#node-config-iotda-at-port-list option')).map((o: any) => [o.value, o.textContent]) as string[][],
        }), null);
        assert.equal(seen.status, EXPECTED[locale].one);
        assert.deepEqual(seen.options.map((o) => o[0]).sort(), ['/dev/ttyUSB2', 'sim:bc26', 'sim:ec20', 'sim:esp8266']);
        assert.deepEqual(seen.options.filter((o) => o[0].startsWith('sim:')).map((o) => o[1]).sort(), [...EXPECTED[locale].sims].sort());
        assert.ok(seen.options.every((o) => !/modem-config\./.test(o[1])), `no catalog key shown: ${JSON.stringify(seen.options)}`);
      } finally {
        await closeTrays(page);
        await context.close();
      }
    });
  }
});
