#!/usr/bin/env node
// `npm start`: the whole product without hardware. Starts the IoTDA emulator with a demo
// device, writes a Node-RED user dir under .demo/ (git-ignored) with the demo flow (an emulated
// EC20 answering LED commands and reporting sensors), starts Node-RED on it and prints both URLs.
//
// Ports: IOTDA_DEMO_MQTT_PORT (1883), IOTDA_DEMO_HTTP_PORT (8080), IOTDA_DEMO_UI_PORT (1880);
// a taken port falls back to a free one, and 0 always means "any free port".
// IOTDA_DEMO_DIR overrides the user dir (default <repo>/.demo).
//
// Flows: the demo flow is written on the first run only (no flows.json, or an empty one); later
// runs keep what the user built in the editor. `npm start -- --reset-flows` (or
// IOTDA_DEMO_RESET_FLOWS=1) writes the demo flow again, replacing the user's flows.
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const pkg = require(path.join(root, 'package.json'));
// The examples' device (dist/sim/iotda/demo-device.js), read once main() has checked the build.
let DEMO_DEVICE;
let DEVICE_ID;
let SECRET;
const EXAMPLE = 'Demo - answer LED commands and report sensors (simulated EC20).json';

const envPort = (name, dflt) => {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number, got ${v}`);
  return n;
};

/** Resolves with `port` when it can be bound on 127.0.0.1, else with a free port. */
function usablePort(port) {
  const tryListen = (p) =>
    new Promise((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(p, '127.0.0.1', () => {
        const got = srv.address().port;
        srv.close(() => resolve(got));
      });
    });
  return tryListen(port).catch(() => tryListen(0));
}

async function startEmulator(mqttPort, httpPort) {
  const { startIotdaEmulator } = require(path.join(root, 'dist', 'sim', 'iotda'));
  const devices = [{ ...DEMO_DEVICE, services: [...DEMO_DEVICE.services] }];
  const log = () => undefined;
  // A taken MQTT or HTTP port (another broker on 1883) falls back to free ones.
  try {
    return await startIotdaEmulator({ host: '127.0.0.1', mqttPort, httpPort, devices, log });
  } catch (err) {
    if (err && err.code !== 'EADDRINUSE') throw err;
    return startIotdaEmulator({ host: '127.0.0.1', mqttPort: 0, httpPort: 0, devices, log });
  }
}

/** The example flow on its own tab, pointed at this emulator, plus its credentials. */
function demoFlow(mqttPort) {
  const nodes = JSON.parse(fs.readFileSync(path.join(root, 'examples', EXAMPLE), 'utf8'));
  const tab = { id: 'd3m0000000000001', type: 'tab', label: 'IoTDA demo', disabled: false, info: '' };
  const configTypes = new Set(['modem-config', 'mqtt-at-connect']);
  const creds = {};
  for (const n of nodes) {
    if (n.type === 'mqtt-at-connect') {
      n.host = '127.0.0.1';
      n.port = mqttPort;
      n.deviceId = DEVICE_ID;
      creds[n.id] = { secret: SECRET };
    } else if (!configTypes.has(n.type)) {
      n.z = tab.id;
    }
  }
  return { flow: [tab, ...nodes], creds };
}

function writeUserDir(dir, uiPort, mqttPort) {
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  // Installed the way `npm install <path>` does it: a symlink Node-RED finds in node_modules.
  const link = path.join(dir, 'node_modules', pkg.name);
  try {
    fs.rmSync(link, { recursive: false, force: true });
  } catch {
    // absent
  }
  fs.symlinkSync(root, link, 'dir');
  fs.writeFileSync(
    path.join(dir, 'settings.js'),
    `// Written by scripts/demo.js; regenerated on every npm start.
module.exports = {
    uiHost: '127.0.0.1',
    uiPort: ${uiPort},
    flowFile: 'flows.json',
    // Plain-text credentials: this dir holds only the demo device's emulator secret.
    credentialSecret: false,
    mqttAtConnectReconnectTime: 2000,
    logging: { console: { level: 'info', metrics: false, audit: false } },
    editorTheme: { tours: false, projects: { enabled: false } },
    telemetry: { enabled: false },
};
`,
  );
}

/** The user's flows in flows.json, or undefined when there are none (no file, empty, `[]`). */
function existingFlows(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  if (text.trim() === '') return undefined;
  let nodes;
  try {
    nodes = JSON.parse(text);
  } catch {
    // Not ours to judge or repair: Node-RED reports it, and the file stays as the user left it.
    return null;
  }
  return Array.isArray(nodes) && nodes.length === 0 ? undefined : nodes;
}

/**
 * Writes the demo flow when there are no flows yet or on request; otherwise keeps the user's
 * flows and only points connections to the demo device on this host at this run's MQTT port
 * (it can change when 1883 is taken). Returns the sentence that says which it did.
 */
function prepareFlows(dir, mqttPort, reset) {
  const file = path.join(dir, 'flows.json');
  const nodes = reset ? undefined : existingFlows(file);
  if (nodes === undefined) {
    const { flow, creds } = demoFlow(mqttPort);
    fs.writeFileSync(file, JSON.stringify(flow, null, 2));
    fs.writeFileSync(path.join(dir, 'flows_cred.json'), JSON.stringify(creds, null, 2));
    return reset
      ? `Flows: deployed the demo flow again (--reset-flows); the previous flows in ${file} were replaced.`
      : `Flows: deployed the demo flow (first run) to ${file}; later runs keep your changes.`;
  }
  if (Array.isArray(nodes)) {
    let moved = 0;
    for (const n of nodes) {
      if (n && n.type === 'mqtt-at-connect' && n.deviceId === DEVICE_ID && n.host === '127.0.0.1' && Number(n.port) !== mqttPort) {
        n.port = mqttPort;
        moved++;
      }
    }
    if (moved > 0) fs.writeFileSync(file, JSON.stringify(nodes, null, 2));
  }
  return `Flows: kept your flows in ${file} (npm start -- --reset-flows deploys the demo flow again).`;
}

async function waitForNodeRed(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Node-RED exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}settings`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    // Polling another process: there is no event to await across the process boundary.
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Node-RED did not answer on ${url} within ${timeoutMs / 1000} s`);
}

async function main() {
  if (!fs.existsSync(path.join(root, 'dist', 'nodes', 'iotda-at.js'))) {
    throw new Error('dist/ is not built: run `npm run build` (or `npm start`, which builds first)');
  }
  ({ DEMO_DEVICE } = require(path.join(root, 'dist', 'sim', 'iotda', 'demo-device')));
  DEVICE_ID = DEMO_DEVICE.deviceId;
  SECRET = DEMO_DEVICE.secret;
  const dir = path.resolve(process.env.IOTDA_DEMO_DIR || path.join(root, '.demo'));
  const emu = await startEmulator(envPort('IOTDA_DEMO_MQTT_PORT', 1883), envPort('IOTDA_DEMO_HTTP_PORT', 8080));
  const uiPort = await usablePort(envPort('IOTDA_DEMO_UI_PORT', 1880));
  writeUserDir(dir, uiPort, emu.mqttPort);
  const reset = process.argv.includes('--reset-flows') || process.env.IOTDA_DEMO_RESET_FLOWS === '1';
  const flowsSentence = prepareFlows(dir, emu.mqttPort, reset);

  const child = spawn(process.execPath, [path.join(path.dirname(require.resolve('node-red/package.json')), 'red.js'), '-u', dir, '-p', String(uiPort), 'flows.json'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: process.env,
  });
  const prefix = (chunk) => chunk.toString('utf8').replace(/^(?=.)/gm, '[node-red] ');
  if (process.env.IOTDA_DEMO_QUIET !== '1') {
    child.stdout.on('data', (c) => process.stdout.write(prefix(c)));
    child.stderr.on('data', (c) => process.stderr.write(prefix(c)));
  } else {
    child.stdout.resume();
    child.stderr.resume();
  }

  let stopping = false;
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(timer);
    }
    await emu.close();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  child.on('exit', (code) => {
    if (!stopping) {
      console.error(`Node-RED exited (${code}); stopping the demo`);
      void stop(1);
    }
  });

  const editorUrl = `http://127.0.0.1:${uiPort}/`;
  await waitForNodeRed(editorUrl, child, 60000);
  console.log('');
  console.log(`IoTDA demo is running (device ${DEVICE_ID}, secret ${SECRET}, MQTT 127.0.0.1:${emu.mqttPort}).`);
  console.log(flowsSentence);
  console.log(`Node-RED editor: ${editorUrl}`);
  console.log(`IoTDA console:   ${emu.url}`);
  console.log('In the console, send command LED with paras {"LED1":1} to the device; Ctrl+C stops the demo.');
}

main().catch((err) => {
  console.error(`demo failed: ${err && err.message ? err.message : err}`);
  process.exit(1);
});
