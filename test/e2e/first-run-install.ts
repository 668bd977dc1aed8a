/**
 * A palette user's machine for the first-run test: the package packed with `npm pack`, installed
 * from that tarball into a fresh Node-RED user dir with `npm install`, Node-RED started on that
 * dir, and the installed package's `iotda-sim` started the way the README tells a palette user
 * (`npx iotda-sim` in the user dir, no arguments, so on its default ports 1883 and 8080).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { root } from './editor-session';

export const PACKAGE = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).name as string;

/**
 * The environment for the npm, Node-RED and iotda-sim children: `npm test` exports its own
 * package's paths (npm_config_local_prefix, npm_package_*), which would point a child npm at the
 * repository instead of the user dir. The node running the tests comes first on PATH, so the
 * bins' `#!/usr/bin/env node` run on it.
 */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_(package_|lifecycle_|config_(local_prefix|prefix)$)/i.test(k)) continue;
    env[k] = v;
  }
  env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`;
  env.LANG = 'en_US.UTF-8';
  return env;
}

function npm(args: string[], cwd: string): string {
  const r = spawnSync('npm', args, { cwd, env: userEnv(), encoding: 'utf8', timeout: 240000 });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** `npm pack` of the built package (dist/ as built; no prepare script) into `dir`; the tarball's path. */
export function packTarball(dir: string): string {
  const out = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], root);
  const [{ filename }] = JSON.parse(out) as { filename: string }[];
  return path.join(dir, filename);
}

/**
 * A fresh user dir with the tarball installed as `npm install <tarball>` in ~/.node-red does it
 * (the palette manager runs the same command). Cached registry data first: CI has just filled the
 * cache with `npm ci`. Returns the installed package's directory.
 */
export function installTarball(userDir: string, tarball: string): string {
  fs.mkdirSync(userDir, { recursive: true });
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', description: 'A Node-RED Project', version: '0.0.1', private: true }, null, 4));
  npm(['install', tarball, '--prefix', userDir, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], userDir);
  return path.join(userDir, 'node_modules', PACKAGE);
}

/** The native serialport binding the installed package loads (its .node file), or the error. */
export function loadedSerialBinding(packageDir: string): string {
  const probe = "require('serialport'); process.stdout.write(Object.keys(require.cache).find((f) => f.endsWith('.node')) || 'no native binding loaded')";
  const r = spawnSync(process.execPath, ['-e', probe], { cwd: packageDir, env: userEnv(), encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) throw new Error(`require('serialport') failed in ${packageDir}:\n${r.stderr}`);
  return r.stdout;
}

export interface Started {
  child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

/** Spawns `command` in its own process group and resolves once its output matches `ready`. */
function startProcess(name: string, command: string, args: string[], cwd: string, ready: RegExp, timeoutMs: number): Promise<{ started: Started; match: RegExpExecArray }> {
  // Detached: npx runs iotda-sim as a child of its own, and the group is stopped as one.
  const child = spawn(command, args, { cwd, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, s);
      } catch {
        // already gone
      }
    };
    signal('SIGINT');
    const killer = setTimeout(() => signal('SIGKILL'), 15000);
    await exited;
    clearTimeout(killer);
  };
  const started: Started = { child, output: () => out, stop };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not get ready within ${timeoutMs / 1000} s:\n${out}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = ready.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ started, match });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${out}`));
    });
  });
}

/** Node-RED (the repository's node-red package) on `userDir`, editor on a free loopback port. */
export async function startNodeRed(userDir: string): Promise<Started & { url: string }> {
  fs.writeFileSync(
    path.join(userDir, 'settings.js'),
    `module.exports = {
    uiHost: '127.0.0.1',
    uiPort: 0,
    flowFile: 'flows.json',
    // The first-run tour and the telemetry question would cover the editor the test clicks in.
    editorTheme: { tours: false },
    telemetry: { enabled: false },
    logging: { console: { level: 'info', metrics: false, audit: false } },
};
`,
  );
  const red = path.join(path.dirname(require.resolve('node-red/package.json')), 'red.js');
  const { started, match } = await startProcess('Node-RED', process.execPath, [red, '-u', userDir], userDir, /Server now running at (http:\/\/127\.0\.0\.1:\d+\/)/, 90000);
  return { ...started, url: match[1] };
}

/** Resolves when `port` can be bound on 127.0.0.1, rejects with a message naming it when not. */
function portFree(port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`port ${port} (${what}) is in use (${err.code}): this test runs \`npx iotda-sim\` with no arguments, which listens on its default ports 1883 and 8080 as the examples expect; stop what listens there and run it again`)),
    );
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
  });
}

/** Rejects, naming the port, when iotda-sim's default ports (1883, 8080) are taken. */
export async function simDefaultPortsFree(): Promise<void> {
  await portFree(1883, 'MQTT');
  await portFree(8080, 'HTTP console');
}

/**
 * `npx iotda-sim` in the user dir with no arguments, as the README and the examples' comments tell
 * a palette user; resolves with what it printed once its console is up.
 */
export async function startInstalledSim(userDir: string): Promise<Started & { consoleUrl: string }> {
  await simDefaultPortsFree();
  const { started, match } = await startProcess('npx iotda-sim', 'npx', ['--no', 'iotda-sim'], userDir, /console (http:\/\/127\.0\.0\.1:8080\/)/, 60000);
  return { ...started, consoleUrl: match[1] };
}
