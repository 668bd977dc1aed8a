/**
 * Files the emulator console loads besides its page: the uPlot chart library from the package's
 * own dependency (no CDN, so the console works offline and on an isolated lab network).
 */
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as path from 'node:path';

const VENDOR: Record<string, { file: string; type: string }> = {
  '/vendor/uPlot.iife.min.js': { file: 'uPlot.iife.min.js', type: 'text/javascript; charset=utf-8' },
  '/vendor/uPlot.min.css': { file: 'uPlot.min.css', type: 'text/css; charset=utf-8' },
};

function uplotDist(): string | undefined {
  try {
    return path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  } catch {
    return undefined;
  }
}

/** Answers GET of a console asset; false when `pathname` is not one (the caller routes on). */
export function serveConsoleAsset(pathname: string, res: http.ServerResponse): boolean {
  const asset = VENDOR[pathname];
  if (!asset) return false;
  const dir = uplotDist();
  if (!dir) {
    // The console draws no charts then, and says so; everything else works.
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('uplot is not installed');
    return true;
  }
  res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'max-age=3600' });
  res.end(fs.readFileSync(path.join(dir, asset.file)));
  return true;
}
