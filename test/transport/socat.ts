/**
 * socat for the tests that need a real tty: starts `socat -d -d <left> <right>` and resolves
 * once socat says its data transfer loop runs (so any pty links exist). Rejects after 5 s with
 * socat's log, or with the spawn error (ENOENT when socat is not installed).
 */
import { spawn, type ChildProcess } from 'node:child_process';

export async function startSocat(left: string, right: string): Promise<ChildProcess> {
  const proc = spawn('socat', ['-d', '-d', left, right], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socat did not start: ${log}`)), 5000);
    proc.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    proc.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (/starting data transfer loop/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return proc;
}
