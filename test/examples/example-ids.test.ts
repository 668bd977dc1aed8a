/**
 * Importing an example next to the demo flow (or next to another example) must not meet a node
 * id that is already in the workspace: Node-RED then shows its "nodes already exist" dialog and
 * a user who picks "import copy" ends up with two connections for one device.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const dir = path.resolve(__dirname, '..', '..', 'examples');

describe('example files', () => {
  it('share no node id, config nodes included', () => {
    const owner = new Map<string, string>();
    const clashes: string[] = [];
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
    assert.ok(files.length >= 2, `examples found: ${files.join(', ')}`);
    for (const file of files) {
      for (const n of JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { id: string; type: string }[]) {
        const first = owner.get(n.id);
        if (first) clashes.push(`${n.type} ${n.id} in "${file}" and "${first}"`);
        else owner.set(n.id, file);
      }
    }
    assert.deepEqual(clashes, []);
  });

  it('tell a palette user how to run the emulator without the repository, and hold no secret', () => {
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      assert.match(text, /`npx iotda-sim` with no arguments/, file);
      assert.doesNotMatch(text, /demo-secret-0001/, file);
    }
  });
});
