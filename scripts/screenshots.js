#!/usr/bin/env node
// Regenerates the README pictures in docs/media/ from the running product: starts the demo
// (scripts/demo.js) on free ports in a temporary user dir, opens the editor and the IoTDA
// emulator console in headless Chromium and takes the pictures. Needs `npm run build`, Chromium (apt-get install chromium; CHROMIUM
// overrides /usr/bin/chromium), playwright-core (devDependency) and, for the zh-CN picture, a CJK
// font (apt-get install fonts-wqy-zenhei).
//
//   node scripts/screenshots.js            all pictures
//   node scripts/screenshots.js flow-      only pictures whose file name contains "flow-"
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const media = path.join(root, 'docs', 'media');
const only = process.argv[2] || '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const VIEWPORT = { width: 1600, height: 820 };
// The editor sizes a tray from its content when a type is first opened (a config select's
// longest node name among it), so one dialog opens 509px wide in one run and 605px in the next.
// The dialog pictures use one width, in both languages.
const TRAY_WIDTH = 600;

// One picture of a flow per example; the file name says what the flow does.
const FLOWS = [
  ['flow-report-sensors.png', 'Report sensor readings as properties (simulated EC20).json'],
  ['flow-switch-leds.png', 'Switch LEDs from downlink messages (simulated EC20).json'],
  ['flow-property-set-get.png', 'Answer property set and get from flow context (simulated EC20).json'],
  ['flow-same-flow-esp8266.png', 'Same flow on each model - ESP8266 (simulated).json'],
];

/** Resolves `port` if nothing listens on it on 127.0.0.1, else 0 (any free port). */
function portIfFree(port) {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(0));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(port)));
  });
}

/** Starts scripts/demo.js on free ports; resolves with its editor and console URLs and a stop function. */
async function startDemo(dir) {
  // The connection dialog shows the emulator's port: 1883, what a reader would type, when free.
  const mqttPort = await portIfFree(1883);
  const child = spawn(process.execPath, [path.join(root, 'scripts', 'demo.js')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, IOTDA_DEMO_MQTT_PORT: String(mqttPort), IOTDA_DEMO_HTTP_PORT: '0', IOTDA_DEMO_UI_PORT: '0', IOTDA_DEMO_DIR: dir, IOTDA_DEMO_QUIET: '1' },
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    await exited;
  };
  let out = '';
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  const url = new Promise((resolve, reject) => {
    child.stdout.on('data', (c) => {
      out += c;
      const m = /Node-RED editor: (\S+)/.exec(out);
      const consoleLine = /IoTDA console: +(\S+)/.exec(out);
      if (m && consoleLine) resolve({ url: m[1], consoleUrl: consoleLine[1] });
    });
    exited.then((code) => reject(new Error(`demo exited (${code}) before it was ready:\n${out}${err}`)));
  });
  return url.then((u) => ({ ...u, stop }), async (e) => { await stop(); throw e; });
}

/**
 * The IoTDA emulator console of the demo as a reader sees it after sending the README's command:
 * the device online, its latest properties and their charts, the answer to LED {"LED1":1} and the
 * next report showing LED1 = 1.
 */
async function shootConsole(browser, consoleUrl) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US', deviceScaleFactor: 1 });
  const page = await context.newPage();
  try {
    await page.goto(consoleUrl);
    await page.waitForFunction(() => document.querySelectorAll('#properties tr td').length > 4 && document.querySelectorAll('#charts canvas').length >= 4, null, { timeout: 30000 });
    await page.click('#command button[type=submit]');
    await page.waitForFunction(() => /"result_code": 0/.test(document.getElementById('response').textContent || ''), null, { timeout: 30000 });
    // The demo flow reports every 5 s with the LED states: wait for the one after the command.
    await page.waitForFunction(() => [...document.querySelectorAll('#properties tr')].some((tr) => {
      const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent.trim());
      return cells[1] === 'LED1' && cells[2] === '1';
    }), null, { timeout: 30000 });
    await shoot(page, 'iotda-console.png', { fullPage: true });
  } finally {
    await context.close();
  }
}

/** Opens the editor and waits until our node types are registered and the workspace is drawn. */
async function openEditor(browser, url, locale) {
  const context = await browser.newContext({ viewport: VIEWPORT, locale, deviceScaleFactor: 1 });
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.getType('at-publish') && RED.nodes.getType('modem-config'));
  await page.waitForSelector('#red-ui-workspace-chart svg .red-ui-flow-node');
  // The sidebar's rotating tips would change every picture.
  await page.evaluate(() => RED.actions.invoke('core:toggle-show-tips', false));
  return { context, page };
}

/**
 * Folds every palette category but ours, as a reader who looks for the nodes would, so the
 * pictures show where they are: "Huawei IoTDA" with its "IoTDA in" and "IoTDA out".
 */
async function showOurPalette(page) {
  await page.evaluate(() => {
    document.querySelectorAll('.red-ui-palette-category.red-ui-palette-open').forEach((cat) => {
      if (cat.id !== 'red-ui-palette-container-Huawei_IoTDA') cat.querySelector('.red-ui-palette-header').click();
    });
  });
  // Folding slides each category up; the picture waits for the end of it.
  await page.waitForFunction(() => {
    const others = [...document.querySelectorAll('.red-ui-palette-category')].filter((c) => c.id !== 'red-ui-palette-container-Huawei_IoTDA');
    const ours = document.querySelector('#red-ui-palette-container-Huawei_IoTDA .red-ui-palette-content');
    return ours && ours.offsetHeight > 0 && others.every((c) => {
      const content = c.querySelector('.red-ui-palette-content');
      return !content || content.offsetHeight === 0;
    });
  });
}

/** Waits until every IoTDA node of the demo tab reports a green (connected) status. */
function waitForGreen(page) {
  return page.waitForFunction(() => {
    const ours = [];
    RED.nodes.eachNode((n) => {
      if (n.type === 'at-publish' || n.type === 'at-subscribe') ours.push(n);
    });
    return ours.length > 0 && ours.every((n) => n.status && n.status.fill === 'green');
  }, null, { timeout: 60000 });
}

/** Clip rectangle around the nodes of the active tab (plus a margin), inside the workspace. */
async function flowClip(page, margin = 30) {
  return page.evaluate((margin) => {
    const chart = document.getElementById('red-ui-workspace-chart').getBoundingClientRect();
    let box = null;
    document.querySelectorAll('#red-ui-workspace-chart .red-ui-flow-node-group, #red-ui-workspace-chart g.red-ui-flow-node').forEach((el) => {
      const r = el.getBoundingClientRect();
      if (r.width === 0) return;
      box = box
        ? { l: Math.min(box.l, r.left), t: Math.min(box.t, r.top), r: Math.max(box.r, r.right), b: Math.max(box.b, r.bottom) }
        : { l: r.left, t: r.top, r: r.right, b: r.bottom };
    });
    if (!box) throw new Error('no nodes on the active tab');
    // Status texts hang below and to the right of a node; keep them in the picture.
    const l = Math.max(chart.left, box.l - margin);
    const t = Math.max(chart.top, box.t - margin);
    const r = Math.min(chart.right, box.r + margin + 60);
    const b = Math.min(chart.bottom, box.b + margin + 10);
    return { x: Math.round(l), y: Math.round(t), width: Math.round(r - l), height: Math.round(b - t) };
  }, margin);
}

/** Imports an example into a new, undeployed tab and shows it. */
async function showExample(page, file, label) {
  const nodes = JSON.parse(fs.readFileSync(path.join(root, 'examples', file), 'utf8'));
  await page.evaluate(({ nodes, label }) => {
    const tabId = RED.nodes.id();
    const tab = { id: tabId, type: 'tab', label, disabled: false, info: '' };
    // The secret and Wi-Fi password typed in, as a reader would before deploying: without them
    // the editor marks the connection (and the nodes using it) invalid.
    const typedIn = { 'mqtt-at-connect': { secret: 'typed-in' }, 'modem-config': { wifiPassword: 'typed-in' } };
    const inTab = nodes.map((n) => (typedIn[n.type] ? { ...n, credentials: typedIn[n.type] } : { ...n, z: tabId }));
    // RED.nodes.import (not RED.view.importNodes) so the nodes land where the example put them
    // instead of following the mouse as a pending import does.
    RED.nodes.import([tab, ...inTab], { generateIds: true });
    let shown = null;
    RED.nodes.eachWorkspace((ws) => {
      if (ws.label === label) shown = ws.id;
    });
    RED.workspaces.show(shown);
    RED.view.select('');
    RED.view.redraw(true);
  }, { nodes, label });
  await page.waitForFunction((label) => RED.workspaces.active() && RED.nodes.workspace(RED.workspaces.active()).label === label, label);
  await page.waitForSelector('#red-ui-workspace-chart g.red-ui-flow-node');
}

/** Opens the edit dialog of the first node of `type` (and `kind`, if given); resolves with its tray. */
async function openDialog(page, type, kind) {
  await page.evaluate(({ type, kind }) => {
    let node = null;
    const visit = (n) => {
      if (!node && n.type === type && (!kind || n.kind === kind)) node = n;
    };
    RED.nodes.eachNode(visit);
    RED.nodes.eachConfig(visit);
    if (!node) throw new Error(`no ${type} node in the workspace`);
    if (node._def.category === 'config') RED.editor.editConfig('', type, node.id);
    else RED.editor.edit(node);
  }, { type, kind });
  const tray = page.locator('.red-ui-tray').last();
  await tray.waitFor({ state: 'visible' });
  // The tray slides in (a CSS transition of `right`) and gets its width and focus afterwards;
  // a picture taken before that is cut off.
  await page.waitForFunction(() => {
    const t = [...document.querySelectorAll('.red-ui-tray')].pop();
    return t && getComputedStyle(t).right === '0px' && t.contains(document.activeElement);
  });
  // As a drag of the tray's edge does: the body's min-width (the opening width) goes too.
  await page.evaluate((width) => {
    const t = $('.red-ui-tray').last();
    t.find('.red-ui-tray-body').css('min-width', '');
    t.width(width);
    $(window).trigger('resize');
  }, TRAY_WIDTH);
  await page.waitForFunction((width) => Math.round($('.red-ui-tray').last().width()) === width, TRAY_WIDTH);
  // The modem dialog looks for serial ports when it opens: the picture shows what it found.
  await page.waitForFunction(() => {
    const status = document.getElementById('node-config-iotda-at-port-status');
    return !status || (status.textContent !== '' && status.textContent !== RED._('node-red-contrib-iotda-at/iotda-at:modem-config.ports.searching'));
  });
  return tray;
}

/** Clip of a tray from its title down to the end of its form: the empty rest is left out. */
async function dialogClip(page) {
  return page.evaluate(() => {
    const tray = [...document.querySelectorAll('.red-ui-tray')].pop();
    const r = tray.getBoundingClientRect();
    let bottom = r.top;
    tray.querySelectorAll('.red-ui-tray-body form *').forEach((el) => {
      const b = el.getBoundingClientRect();
      if (b.height > 0 && getComputedStyle(el).visibility !== 'hidden') bottom = Math.max(bottom, b.bottom);
    });
    return { x: Math.round(r.left), y: Math.round(r.top), width: Math.round(r.width), height: Math.round(Math.min(r.bottom, bottom + 16) - r.top) };
  });
}

async function closeDialogs(page) {
  await page.evaluate(() => {
    while (document.querySelector('.red-ui-tray')) {
      const before = document.querySelectorAll('.red-ui-tray').length;
      RED.tray.close();
      if (document.querySelectorAll('.red-ui-tray').length === before) break;
    }
  });
  await page.waitForFunction(() => document.querySelectorAll('.red-ui-tray').length === 0);
}

async function shoot(target, name, options = {}) {
  if (!name.includes(only)) return;
  const file = path.join(media, name);
  await target.screenshot({ path: file, ...options });
  console.log(`${path.relative(root, file)}  ${Math.round(fs.statSync(file).size / 1024)} KB`);
}

async function main() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium (or set CHROMIUM)`);
  const { chromium } = require('playwright-core');
  fs.mkdirSync(media, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iotda-at-shots-'));
  const demo = await startDemo(dir);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  try {
    const { page } = await openEditor(browser, demo.url, 'en-US');
    await waitForGreen(page);
    // The debug sidebar shows what the flow does: commands received, reports sent.
    await page.evaluate(() => RED.sidebar.show('debug'));
    await page.waitForFunction(() => document.querySelectorAll('.red-ui-debug-msg').length >= 3, null, { timeout: 30000 });
    await page.setViewportSize({ width: VIEWPORT.width, height: 600 });
    await showOurPalette(page);
    await shoot(page, 'editor-demo.png');

    // Tall enough for the longest dialog (modem-config) without a scroll bar.
    await page.setViewportSize({ width: VIEWPORT.width, height: 1000 });
    for (const [type, kind] of [['at-publish', 'property'], ['at-subscribe'], ['mqtt-at-connect'], ['modem-config']]) {
      await openDialog(page, type, kind);
      await shoot(page, `node-${type}.png`, { clip: await dialogClip(page) });
      await closeDialogs(page);
    }
    // The connection's TLS rows, shown once TLS is ticked: verify with your own CA (here a file
    // on the Node-RED host). The edit is cancelled, so the demo's flow is not changed.
    await page.setViewportSize({ width: VIEWPORT.width, height: 1200 });
    await openDialog(page, 'mqtt-at-connect');
    await page.locator('#node-config-input-tls').check();
    await page.locator('#node-config-input-tlsVerify').selectOption('custom');
    await page.locator('#node-config-input-caFile').fill('/home/pi/my-ca.pem');
    await page.locator('#node-config-input-caFile').dispatchEvent('change');
    await shoot(page, 'node-mqtt-at-connect-tls.png', { clip: await dialogClip(page) });
    await closeDialogs(page);
    await page.setViewportSize(VIEWPORT);

    for (const [name, file] of FLOWS) {
      await showExample(page, file, file.replace(/\.json$/, ''));
      await shoot(page, name, { clip: await flowClip(page) });
    }

    if ('iotda-console.png'.includes(only)) await shootConsole(browser, demo.consoleUrl);

    const zh = await openEditor(browser, demo.url, 'zh-CN');
    await waitForGreen(zh.page);
    await zh.page.setViewportSize({ width: VIEWPORT.width, height: 740 });
    await showOurPalette(zh.page);
    await openDialog(zh.page, 'at-publish', 'property');
    await shoot(zh.page, 'editor-zh-CN.png');
  } finally {
    await browser.close();
    await demo.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`screenshots failed: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
