import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

// Names read aloud with a vowel sound take "an": an EC20 ("ee-see"), an ESP8266, an IoTDA
// device, an MQTT connection, an LED. Checked in everything a user reads: examples, editor
// texts, help, README and docs, and the sources whose strings end up in logs and statuses.
const root = path.resolve(__dirname, '..', '..');
const A_BEFORE_VOWEL_SOUND = /\b[Aa] (EC20|ESP8266|ESP-AT|ESP|IoTDA|MQTT|LED)\b/g;

function filesUnder(dir: string, ends: string[]): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p, ends));
    else if (ends.some((x) => e.name.endsWith(x))) out.push(p);
  }
  return out;
}

describe('wording', () => {
  it('"an EC20", never "a EC20" (and the same for ESP8266, IoTDA, MQTT, LED)', () => {
    const files = [
      path.join(root, 'README.md'),
      path.join(root, 'nodes', 'iotda-at.html'),
      ...filesUnder(path.join(root, 'examples'), ['.json']),
      ...filesUnder(path.join(root, 'nodes', 'locales'), ['.json', '.html']),
      ...filesUnder(path.join(root, 'docs'), ['.md']),
      ...filesUnder(path.join(root, 'src'), ['.ts']),
    ];
    const found: string[] = [];
    for (const f of files) {
      for (const m of fs.readFileSync(f, 'utf8').matchAll(A_BEFORE_VOWEL_SOUND)) found.push(`${path.relative(root, f)}: "${m[0]}"`);
    }
    assert.deepEqual(found, []);
  });
});
