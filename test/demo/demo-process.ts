/**
 * `scripts/demo.js` (IoTDA emulator + Node-RED + the demo flow on an emulated EC20) as a child
 * process on free ports, for the demo tests and the browser tests.
 */
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';

const root = path.resolve(__dirname, '..', '..');

export interface Demo {
  /** The Node-RED editor URL the demo printed. */
  url: string;
  child: ChildProcess;
  exited: Promise<unknown>;
  /** What the demo wrote to stdout and stderr until it printed the editor URL. */
  out: string;
}

/**
 * Starts scripts/demo.js on free ports with its user dir in `dir`; resolves once it printed the
 * editor URL. `env` adds to the environment (e.g. LANG, which sets the runtime's language);
 * `args` go to demo.js (e.g. --reset-flows).
 */
export function startDemo(dir: string, { env = {}, args = [] }: { env?: NodeJS.ProcessEnv; args?: string[] } = {}): Promise<Demo> {
  const child = spawn(process.execPath, [path.join(root, 'scripts', 'demo.js'), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, IOTDA_DEMO_MQTT_PORT: '0', IOTDA_DEMO_HTTP_PORT: '0', IOTDA_DEMO_UI_PORT: '0', IOTDA_DEMO_DIR: dir, IOTDA_DEMO_QUIET: '1', ...env },
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let out = '';
  child.stderr!.on('data', (c) => (out += c));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c) => {
      out += c;
      const m = /Node-RED editor: (\S+)/.exec(out);
      if (m) resolve({ url: m[1], child, exited, out });
    });
    void exited.then((code) => reject(new Error(`demo exited (${code}) before it was ready:\n${out}`)));
  });
}
