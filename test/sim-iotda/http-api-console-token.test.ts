/**
 * Issue 14 item 3, in Chromium: the emulator console opened as the CLI prints it
 * (`<url>#token=...`) lists devices, follows the event stream and sends a message through the
 * token-guarded API; the token leaves the address bar. Without the token the API answers 401.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startIotdaEmulator, type IotdaEmulator } from '../../dist/sim/iotda';
import { iotdaCredentials, IotdaTopics } from '../../dist/iotda';
import { launchBrowser, skipBrowser, type Browser } from '../e2e/editor-session';

// Callbacks given to evaluate/waitForFunction run in the page.
declare const document: any;
declare const window: any;
declare const location: any;

const TOKEN = 'console-tok-7b1';
const DEVICE = 'tok_dev01';

describe('IoTDA console with an API token, in Chromium', { skip: skipBrowser }, () => {
  let emu: IotdaEmulator;
  let browser: Browser;
  before(async () => {
    emu = await startIotdaEmulator({ devices: [{ deviceId: DEVICE, secret: 'tok-secret' }], httpToken: TOKEN });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await emu?.close();
  });

  it('works with #token= in the URL: device list, live events, a sent message', async () => {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1024, height: 800 } });
    const c = iotdaCredentials(DEVICE, 'tok-secret');
    const device = await mqtt.connectAsync(emu.mqttUrl, { clientId: c.clientId, username: c.username, password: c.password, reconnectPeriod: 0, connectTimeout: 5000 });
    try {
      await device.subscribeAsync(IotdaTopics.messagesDown(DEVICE));
      const page = await context.newPage();
      await page.goto(`${emu.url}#token=${TOKEN}`);
      await page.waitForFunction((id: string) => document.querySelector(`#devices tr[data-id="${id}"].on`) !== null, DEVICE, { timeout: 15000 });
      assert.equal(await page.evaluate(() => location.hash, undefined), '', 'the token leaves the address bar');
      // The event stream is authorised too: a report shows in the log.
      device.publish(IotdaTopics.propertiesReport(DEVICE), JSON.stringify({ services: [{ service_id: 's', properties: { t: 1 } }] }));
      await page.waitForFunction((id: string) => (document.getElementById('log').textContent ?? '').includes(`report ${id}`), DEVICE, { timeout: 15000 });
      // A POST through the page reaches the device.
      const received = new Promise<string>((resolve) => device.once('message', (_t, p) => resolve(p.toString())));
      await page.evaluate((id: string) => window.api(`devices/${encodeURIComponent(id)}/messages`, { content: 'hello' }), DEVICE);
      assert.equal(JSON.parse(await received).content, 'hello');
      // Reload without the fragment: the tab kept the token.
      await page.goto(emu.url);
      await page.waitForFunction((id: string) => document.querySelector(`#devices tr[data-id="${id}"]`) !== null, DEVICE, { timeout: 15000 });
    } finally {
      await device.endAsync(true);
      await context.close();
    }
    assert.equal((await fetch(new URL('api/devices', emu.url))).status, 401);
  });
});
