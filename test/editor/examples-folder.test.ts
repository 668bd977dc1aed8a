import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

// Node-RED lists every folder under a package's examples/ as a folder in Import > Examples, so
// the directory holds flows only; the README pictures live in docs/media/ and every picture the
// README or the screenshot script names exists there.
const root = path.resolve(__dirname, '..', '..');

describe('examples/ and the README pictures', () => {
  it('examples/ holds flow files only: no folder shows up empty in Import > Examples', () => {
    const entries = fs.readdirSync(path.join(root, 'examples'), { withFileTypes: true });
    assert.deepEqual(entries.filter((e) => !e.isFile() || !e.name.endsWith('.json')).map((e) => e.name), []);
  });

  it("every picture the README shows exists, outside examples/", () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const pictures = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((p) => !/^https?:/.test(p));
    assert.ok(pictures.length >= 6, `README pictures: ${pictures.join(', ')}`);
    for (const p of pictures) {
      assert.ok(!p.startsWith('examples/'), `${p} is not under examples/`);
      assert.ok(fs.existsSync(path.join(root, p)), `${p} exists`);
    }
  });

  it('the screenshot script writes where the README reads', () => {
    const script = fs.readFileSync(path.join(root, 'scripts', 'screenshots.js'), 'utf8');
    assert.match(script, /path\.join\(root, 'docs', 'media'\)/);
    for (const name of script.matchAll(/\['([\w-]+\.png)'/g)) assert.ok(fs.existsSync(path.join(root, 'docs', 'media', name[1])), `docs/media/${name[1]}`);
  });
});
