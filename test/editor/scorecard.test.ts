import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFile } from 'node:child_process';

// The flow-library scorecard, run the way flows.nodered.org runs it. node-red-dev exits 0 whatever
// the rules say, so the JSON it writes is what we assert on. The preload answers the catalogue
// requests that cannot leave this network (see scripts/empty-catalogue.js).

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'node_modules', '.bin', 'node-red-dev');
const preload = path.join(root, 'scripts', 'empty-catalogue.js');

interface Rule { test: boolean; nodes?: string[] }
let tmp = '';
let score: Record<string, Rule> = {};
let output = '';

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iotda-at-score-'));
  const out = path.join(tmp, 'score.json');
  output = await new Promise<string>((resolve, reject) => {
    execFile(bin, ['validate', '-p', '.', '-o', out], {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: `--require=${preload}` },
      // P06/P07/D03 ask the npm registry; a bounded wait keeps a dead network from hanging CI.
      timeout: 120_000,
    }, (err, stdout, stderr) => {
      if (err) reject(new Error(`node-red-dev failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(`${stdout}\n${stderr}`);
    });
  });
  assert.ok(fs.existsSync(out), `node-red-dev wrote no scorecard:\n${output}`);
  score = JSON.parse(fs.readFileSync(out, 'utf8'));
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('flow-library scorecard (node-red-dev validate)', () => {
  it('passes every package, node and dependency rule', () => {
    const rules = Object.keys(score).filter((k) => /^[PND]\d\d$/.test(k)).sort();
    // The rules 0.1.6 runs; a missing one means the run stopped early (e.g. an unparsed .html).
    for (const expected of ['P01', 'P03', 'P04', 'P05', 'P06', 'P07', 'P08', 'N01', 'N02', 'D01', 'D02', 'D03']) {
      assert.ok(rules.includes(expected), `rule ${expected} reported\n${output}`);
    }
    const failed = rules.filter((k) => score[k].test !== true);
    assert.deepEqual(failed, [], `failed rules: ${JSON.stringify(failed.map((k) => ({ [k]: score[k] })))}\n${output}`);
  });

  it('found examples for both flow node types (N02), so it parsed the editor .html', () => {
    assert.deepEqual([...(score.N02.nodes ?? [])].sort(), ['at-publish', 'at-subscribe']);
    assert.doesNotMatch(output, /Unable to parse/);
  });

  it('sees the node-red keyword (P05 always records a pass, so check it here)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    assert.ok(pkg.keywords.includes('node-red'));
    assert.match(output, /Node-RED Keyword Found/);
  });
});
