import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// Runs scripts/demo.js as `npm start` does (after the build), on free ports and a temp user
// dir, then drives it like a user at the IoTDA console: send a command, read the answer and
// the reported properties.

const root = path.resolve(__dirname, '..', '..');

describe('demo script (npm start)', () => {
  let child: ChildProcess | undefined;
  let dir = '';
  let editorUrl = '';
  let consoleUrl = '';
  let output = '';

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iotda-demo-'));
    child = spawn(process.execPath, [path.join(root, 'scripts', 'demo.js')], {
      cwd: root,
      env: { ...process.env, IOTDA_DEMO_MQTT_PORT: '0', IOTDA_DEMO_HTTP_PORT: '0', IOTDA_DEMO_UI_PORT: '0', IOTDA_DEMO_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    // Resolves when both URLs are printed; fails if the script exits first.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo printed no URLs within 90 s:\n${output}`)), 90000);
      child!.stdout!.on('data', (c: Buffer) => {
        output += c.toString();
        const editor = /Node-RED editor: (\S+)/.exec(output);
        const cons = /IoTDA console: +(\S+)/.exec(output);
        if (editor && cons) {
          editorUrl = editor[1];
          consoleUrl = cons[1];
          clearTimeout(timer);
          resolve();
        }
      });
      child!.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`demo exited with ${code}:\n${output}`));
      });
    });
  });

  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGINT');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves the editor and answers a console command through the flow', async () => {
    const settings = await fetch(`${editorUrl}settings`);
    assert.equal(settings.status, 200);
    const api = `${consoleUrl}api/devices/demo_product_dev01`;
    // The flow connects through the emulated EC20 after start: wait for the device to be online.
    const online = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`device never came online:\n${output}`)), 30000);
      const check = () => {
        if (/online as demo_product_dev01/.test(output)) {
          clearTimeout(timer);
          resolve();
          return true;
        }
        return false;
      };
      if (!check()) child!.stdout!.on('data', () => check());
    });
    await online;
    const res = await fetch(`${api}/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service_id: 'stm32', command_name: 'LED', paras: { LED1: 1 } }),
    });
    const result = (await res.json()) as { status: string; response: { result_code: number; paras: Record<string, unknown> } };
    assert.equal(result.status, 'ok');
    assert.equal(result.response.result_code, 0);
    assert.equal(result.response.paras.LED1, 1);
    const device = (await (await fetch(api)).json()) as { online: boolean };
    assert.equal(device.online, true);
    // Credentials were written for the runtime, never in flows.json.
    assert.doesNotMatch(fs.readFileSync(path.join(dir, 'flows.json'), 'utf8'), /demo-secret-0001/);
  });
});
