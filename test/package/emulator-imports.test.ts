/**
 * The import rule of docs/emulators.md: the emulators are the tests' reference, so their code
 * (src/sim/modems, src/sim/iotda) imports nothing from the product, not even types; only the
 * `sim:` port glue (src/sim/sim-port.ts) reaches the product's transport.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const SIM = path.join(root, 'src', 'sim');
/** `import … from '<spec>'`, `export … from '<spec>'`, `require('<spec>')`, `import('<spec>')`. */
const SPECIFIER = /(?:\bfrom\s+|\brequire\(\s*|\bimport\(\s*)['"]([^'"]+)['"]/g;

function tsFilesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFilesUnder(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative import of `file`, resolved to a path under the repo. */
function relativeImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(SPECIFIER)].map((m) => m[1]).filter((s) => s.startsWith('.')).map((s) => path.resolve(path.dirname(file), s));
}

const inside = (p: string, dir: string) => p === dir || p.startsWith(dir + path.sep);

describe('what emulator code imports (docs/emulators.md, import rule)', () => {
  const files = tsFilesUnder(SIM);

  it('finds the emulator sources', () => {
    assert.ok(files.some((f) => f.endsWith(path.join('sim', 'iotda', 'emulator.ts'))));
    assert.ok(files.some((f) => f.endsWith(path.join('sim', 'modems', 'emulator-base.ts'))));
  });

  it('src/sim/modems and src/sim/iotda import only from src/sim', () => {
    const breaks: string[] = [];
    for (const file of files.filter((f) => inside(f, path.join(SIM, 'modems')) || inside(f, path.join(SIM, 'iotda')))) {
      for (const target of relativeImports(file)) {
        if (!inside(target, SIM)) breaks.push(`${path.relative(root, file)} -> ${path.relative(root, target)}`);
      }
    }
    assert.deepEqual(breaks, []);
  });

  it('only the sim: port glue reaches the product, and only its transport', () => {
    const breaks: string[] = [];
    for (const file of files) {
      for (const target of relativeImports(file)) {
        if (inside(target, SIM)) continue;
        const allowed = path.basename(file) === 'sim-port.ts' && inside(target, path.join(root, 'src', 'transport'));
        if (!allowed) breaks.push(`${path.relative(root, file)} -> ${path.relative(root, target)}`);
      }
    }
    assert.deepEqual(breaks, []);
  });
});
