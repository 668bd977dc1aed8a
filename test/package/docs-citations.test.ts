/**
 * Code, tests and docs cite the package's own docs (`docs/iotda.md §1.2`, `docs/at-pitfalls.md P9`,
 * `docs/models/ec20.md, "Boot"`). A renamed file or section would leave a reader at a dead end, so
 * every such citation must resolve: the file exists, and a cited section is a heading or a bold
 * lead-in of that file.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const SCANNED = ['src', 'nodes', 'test', 'docs', 'scripts', 'examples', 'README.md', 'CHANGELOG.md'];
const TEXT_FILE = /\.(ts|js|html|json|md)$/;
// `docs/<path>.md`, then optionally a section: `§1.2`, `P9`, or a quoted title ("Boot").
const CITATION = /(?<![\w/.-])docs\/([\w./-]+?\.md)(?:`?,? *(?:(§[\d.]*\d)|(P\d+)\b|"([^"\n]+)"))?/g;

function filesUnder(rel: string): string[] {
  const abs = path.join(root, rel);
  if (!fs.existsSync(abs)) return [];
  if (fs.statSync(abs).isFile()) return TEXT_FILE.test(rel) ? [rel] : [];
  return fs
    .readdirSync(abs, { withFileTypes: true })
    .filter((e) => e.name !== 'media' && e.name !== 'captures')
    .flatMap((e) => filesUnder(path.join(rel, e.name)));
}

/** What a section citation can point at in a doc: its headings and its bold lead-ins. */
function anchorsOf(docText: string): string[] {
  const headings = [...docText.matchAll(/^#+ +(.+)$/gm)].map((m) => m[1]);
  const leadIns = [...docText.matchAll(/^(?:- )?\*\*([^*]+)\*\*/gm)].map((m) => m[1]);
  return [...headings, ...leadIns];
}

function resolves(docText: string, section: string | undefined, pitfall: string | undefined, title: string | undefined): boolean {
  const anchors = anchorsOf(docText);
  // `§7` matches `7. Sharing one connection`, `§1.2` matches `1.2 Transport ...`.
  if (section) return anchors.some((a) => a.replace(/^§/, '').startsWith(`${section.slice(1)} `) || a.startsWith(`${section.slice(1)}. `));
  if (pitfall) return anchors.some((a) => a.startsWith(`${pitfall}.`) || a.startsWith(`${pitfall} `));
  if (title) return anchors.some((a) => a.toLowerCase().startsWith(title.toLowerCase()));
  return true;
}

describe('citations of docs/', () => {
  it('every cited docs file and section exists', () => {
    const broken: string[] = [];
    let seen = 0;
    for (const file of SCANNED.flatMap(filesUnder)) {
      if (file === path.join('test', 'package', 'docs-citations.test.ts')) continue;
      const text = fs.readFileSync(path.join(root, file), 'utf8');
      for (const m of text.matchAll(CITATION)) {
        seen++;
        const [whole, doc, section, pitfall, title] = m;
        // A link inside docs/ may be relative to docs/ itself (docs/README.md links models/ec20.md).
        const docPath = path.join(root, 'docs', doc);
        if (!fs.existsSync(docPath)) {
          broken.push(`${file}: ${whole} (no such file)`);
          continue;
        }
        if (!resolves(fs.readFileSync(docPath, 'utf8'), section, pitfall, title)) {
          broken.push(`${file}: ${whole} (no such section)`);
        }
      }
    }
    assert.ok(seen > 50, `expected many citations, found ${seen}: is the pattern still right?`);
    assert.deepEqual(broken, []);
  });
});
