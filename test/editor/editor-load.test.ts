import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';

// Starts the real Node-RED runtime and editor API in-process, with this package installed in its
// user directory the way `npm install <path>` does (a symlink), then asks the admin API what a
// browser would get: node sets, editor HTML with help, catalogs in zh-CN, icons.
// (The test helper's mock admin app serves only routes the nodes add, not /nodes.)

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const SET_ID = `${pkg.name}/iotda-at`;
const TYPES = ['at-publish', 'at-subscribe', 'modem-config', 'mqtt-at-connect'];
const runtimeFile = path.join(root, pkg['node-red'].nodes['iotda-at']);
const skip = fs.existsSync(runtimeFile)
  ? false
  : `${path.relative(root, runtimeFile)} is not built yet (runtime glue from src/nodes/iotda-at.ts)`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
let RED: any;
let server: http.Server | undefined;
let base = '';
let userDir = '';

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(base + url, { headers });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

describe('editor served by a real Node-RED runtime', { skip }, () => {
  before(async () => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iotda-at-nr-'));
    fs.mkdirSync(path.join(userDir, 'node_modules'));
    fs.symlinkSync(root, path.join(userDir, 'node_modules', pkg.name), 'dir');
    fs.writeFileSync(path.join(userDir, 'flows.json'), '[]');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    RED = require('node-red');
    server = http.createServer((req, res) => RED.httpAdmin(req, res));
    RED.init(server, {
      userDir,
      flowFile: 'flows.json',
      credentialSecret: 'editor-load-test',
      httpAdminRoot: '/',
      httpNodeRoot: false,
      uiHost: '127.0.0.1',
      logging: { console: { level: 'off', metrics: false, audit: false } },
      editorTheme: { tours: false, projects: { enabled: false } },
      telemetry: { enabled: false },
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(0, '127.0.0.1', () => resolve());
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await RED.start();
  });

  after(async () => {
    if (RED) await RED.stop();
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('loads the node set with its four types and no error', async () => {
    const res = await get('/nodes', { Accept: 'application/json' });
    assert.equal(res.status, 200);
    const set = (JSON.parse(res.body) as Array<{ id: string; types: string[]; enabled: boolean; err?: string }>)
      .find((s) => s.id === SET_ID);
    assert.ok(set, `${SET_ID} is installed`);
    assert.equal(set.err, undefined, `load error: ${set.err}`);
    assert.equal(set.enabled, true);
    assert.deepEqual([...set.types].sort(), TYPES);
  });

  it('serves the editor definitions and the English help', async () => {
    const res = await get('/nodes', { Accept: 'text/html', 'Accept-Language': 'en-US' });
    assert.equal(res.status, 200);
    for (const type of TYPES) {
      assert.ok(res.body.includes(`RED.nodes.registerType('${type}'`), `definition of ${type}`);
      assert.ok(res.body.includes(`data-template-name="${type}"`), `template of ${type}`);
      assert.ok(res.body.includes(`data-help-name="${type}"`), `help of ${type}`);
    }
    assert.match(res.body, /Sends data from the flow to IoTDA/);
  });

  it('serves the Chinese help to a zh-CN browser', async () => {
    const res = await get('/nodes', { Accept: 'text/html', 'Accept-Language': 'zh-CN' });
    assert.equal(res.status, 200);
    assert.match(res.body, /通过模组把流程中的数据发送到 IoTDA/);
    assert.match(res.body, /接收 IoTDA 发给设备的内容/);
    assert.doesNotMatch(res.body, /Sends data from the flow to IoTDA/);
  });

  it('serves the zh-CN catalog under the node set namespace', async () => {
    const own = await get(`/nodes/${SET_ID}/messages?lng=zh-CN`);
    assert.equal(own.status, 200);
    const catalog = JSON.parse(own.body);
    assert.equal(catalog['at-publish'].label.kind, '发送类型');
    assert.equal(catalog['mqtt-at-connect'].errors.keepalive, 'IoTDA 接受的心跳间隔为 30 到 1200 秒');
    assert.equal(catalog['iotda-at'].status.connected, '已连接');
    const all = JSON.parse((await get('/nodes/messages?lng=zh-CN')).body);
    assert.equal(all[SET_ID]['at-subscribe'].label.kind, '接收类型');
  });

  it('serves the icons from the package', async () => {
    const list = JSON.parse((await get('/icons', { Accept: 'application/json' })).body);
    const ours: string[] = list[pkg.name] ?? [];
    for (const icon of ['iotda-at-publish.svg', 'iotda-at-subscribe.svg']) {
      assert.ok(ours.includes(icon), `${icon} listed under ${pkg.name}: ${JSON.stringify(ours)}`);
      const res = await get(`/icons/${pkg.name}/${icon}`);
      assert.equal(res.status, 200);
      assert.match(res.body, /<svg/);
    }
  });

  it('answers the port picker at iotda-at/ports with a JSON array', async () => {
    const res = await get('/iotda-at/ports', { Accept: 'application/json' });
    assert.equal(res.status, 200, res.body);
    const ports = JSON.parse(res.body);
    assert.ok(Array.isArray(ports));
    for (const p of ports) assert.equal(typeof p.path, 'string');
  });
});
