/**
 * Issue 14 item 3: the emulator's HTTP API refuses what a web page on another site (or a DNS
 * rebinding name) could send, answers 400 to a malformed URL, and takes an optional token.
 * Raw node:http requests so the Host, Origin and content type are exactly what a browser or an
 * attacker's page would send.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { startIotdaEmulator, type IotdaEmulator } from '../../dist/sim/iotda';

interface Reply {
  status: number;
  body: string;
}

function request(emu: IotdaEmulator, p: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers = { host: `127.0.0.1:${emu.httpPort}`, ...opts.headers };
    const req = http.request({ host: '127.0.0.1', port: emu.httpPort, path: p, method: opts.method ?? 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const json = { 'content-type': 'application/json' };

describe('IoTDA emulator HTTP API: access', () => {
  let emu: IotdaEmulator;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iotda-access-test-'));
  const devicesFile = path.join(dir, 'devices.json');
  before(async () => {
    fs.writeFileSync(devicesFile, JSON.stringify({ devices: [{ deviceId: 'dev1', secret: 'original' }] }));
    emu = await startIotdaEmulator({ devicesFile });
  });
  after(async () => {
    await emu.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a cross-site text/plain POST cannot replace a device secret (403), nor save the devices file', async () => {
    const before = fs.readFileSync(devicesFile, 'utf8');
    const r = await request(emu, '/api/devices', {
      method: 'POST',
      headers: { origin: 'http://evil.example', 'content-type': 'text/plain' },
      body: JSON.stringify({ deviceId: 'dev1', secret: 'attacker' }),
    });
    assert.equal(r.status, 403);
    assert.match(JSON.parse(r.body).error, /Origin http:\/\/evil\.example/);
    assert.equal(fs.readFileSync(devicesFile, 'utf8'), before);
  });

  it('a POST body that is not declared JSON is 415, and nothing changes', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const r = await request(emu, '/api/devices/dev1/freeze', {
        method: 'POST',
        headers: type ? { 'content-type': type } : {},
        body: '{"frozen": true}',
      });
      assert.equal(r.status, 415, String(type));
    }
    const dev = JSON.parse((await request(emu, '/api/devices/dev1')).body);
    assert.equal(dev.frozen, false);
    const ok = await request(emu, '/api/devices', { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"deviceId":"dev2","secret":"s"}' });
    assert.equal(ok.status, 201);
  });

  it('Origin must be this listener: a foreign one is 403 even on GET; the same origin is fine', async () => {
    assert.equal((await request(emu, '/api/devices', { headers: { origin: 'http://evil.example' } })).status, 403);
    assert.equal((await request(emu, '/api/devices', { headers: { origin: 'null' } })).status, 403);
    assert.equal((await request(emu, '/api/devices', { headers: { origin: `http://localhost:${emu.httpPort + 1}`, host: `localhost:${emu.httpPort}` } })).status, 403);
    assert.equal((await request(emu, '/api/devices', { headers: { origin: `http://127.0.0.1:${emu.httpPort}` } })).status, 200);
  });

  it('Host must be this listener: a rebinding name is 403; loopback names are fine', async () => {
    for (const host of [`evil.example:${emu.httpPort}`, `127.0.0.1:${emu.httpPort + 1}`, 'evil.example']) {
      const r = await request(emu, '/api/devices', { headers: { host } });
      assert.equal(r.status, 403, host);
    }
    assert.equal((await request(emu, '/', { headers: { host: `evil.example:${emu.httpPort}` } })).status, 403);
    for (const host of [`localhost:${emu.httpPort}`, `[::1]:${emu.httpPort}`, `LOCALHOST:${emu.httpPort}`]) {
      assert.equal((await request(emu, '/api/devices', { headers: { host } })).status, 200, host);
    }
  });

  it('a malformed URL is 400, not 500', async () => {
    for (const p of ['/api/devices/%E0%A4%A', '/api/devices/%zz', '/%']) {
      const r = await request(emu, p);
      assert.equal(r.status, 400, p);
      assert.match(JSON.parse(r.body).error, /malformed URL/);
    }
  });
});

describe('IoTDA emulator HTTP API: token', () => {
  let emu: IotdaEmulator;
  const token = 'tok-3f9a';
  before(async () => {
    emu = await startIotdaEmulator({ devices: [{ deviceId: 'dev1', secret: 's' }], httpToken: token });
  });
  after(async () => emu.close());

  it('every /api/ request needs the token; the page itself does not', async () => {
    assert.equal((await request(emu, '/api/devices')).status, 401);
    assert.equal((await request(emu, '/api/devices', { headers: { authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await request(emu, '/api/devices', { headers: { authorization: `Bearer ${token}x` } })).status, 401);
    assert.equal((await request(emu, `/api/devices?token=${token}`)).status, 401, 'query token only for the event stream');
    const ok = await request(emu, '/api/devices', { headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200);
    assert.deepEqual(JSON.parse(ok.body).map((d: { deviceId: string }) => d.deviceId), ['dev1']);
    const post = await request(emu, '/api/devices', { method: 'POST', headers: { ...json }, body: '{"deviceId":"x","secret":"y"}' });
    assert.equal(post.status, 401);
    assert.equal((await request(emu, '/')).status, 200);
  });

  it('the event stream takes the token in its URL (EventSource cannot set headers)', async () => {
    assert.equal((await request(emu, '/api/events')).status, 401);
    const res = await fetch(new URL(`api/events?token=${token}`, emu.url));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    await res.body?.cancel();
  });

  it('the console page reads #token= and sends it on its requests', async () => {
    const html = (await request(emu, '/')).body;
    assert.ok(html.includes("headers.authorization = 'Bearer ' + apiToken"));
    assert.ok(html.includes("'api/events' + (apiToken ? '?token=' + encodeURIComponent(apiToken) : '')"));
  });
});

describe('iotda-sim --token', () => {
  const CLI = path.resolve(__dirname, '../../dist/sim/iotda/cli.js');
  let child: ChildProcess | undefined;
  after(() => {
    if (child && child.exitCode === null) child.kill('SIGTERM');
  });

  it('beyond loopback the token is printed at start and the API requires it', async () => {
    child = spawn(process.execPath, [CLI, '--host', '0.0.0.0', '--mqtt', '0', '--http', '0', '--token', 'cli-tok'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /open the console at (http:\/\/\S+\/)#token=cli-tok/.exec(out);
        if (m) resolve(m[1]);
      });
      child!.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    assert.match(out, /HTTP API token cli-tok/);
    const port = new URL(url).port;
    assert.equal((await fetch(`http://127.0.0.1:${port}/api/devices`)).status, 401);
    assert.equal((await fetch(`http://127.0.0.1:${port}/api/devices`, { headers: { authorization: 'Bearer cli-tok' } })).status, 200);
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });
});
