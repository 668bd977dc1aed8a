import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

// The palette shows a label ("IoTDA out"), flows and the README use the type name
// (`at-publish`): each node's help names both, in both languages, so a reader can match them.
const root = path.resolve(__dirname, '..', '..');
const TYPES = ['modem-config', 'mqtt-at-connect', 'at-publish', 'at-subscribe'];

function helpOf(html: string, type: string): string {
  const m = new RegExp(`<script type="text/html" data-help-name="${type}">([\\s\\S]*?)</script>`).exec(html);
  assert.ok(m, `help for ${type}`);
  return m[1];
}

describe('names in the palette and the help agree', () => {
  for (const lang of ['en-US', 'zh-CN']) {
    it(`${lang}: each help names the palette label and the node type`, () => {
      const catalog = JSON.parse(fs.readFileSync(path.join(root, 'nodes', 'locales', lang, 'iotda-at.json'), 'utf8'));
      const html = fs.readFileSync(path.join(root, 'nodes', 'locales', lang, 'iotda-at.html'), 'utf8');
      for (const type of TYPES) {
        const help = helpOf(html, type);
        assert.ok(help.includes(`<b>${catalog[type].paletteLabel}</b>`), `${lang} ${type} help names "${catalog[type].paletteLabel}"`);
        assert.ok(help.includes(`<code>${type}</code>`), `${lang} ${type} help names the type`);
      }
    });
  }

  it('the README names every node type', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    for (const type of TYPES) assert.ok(readme.includes(`### ${type}`), `README has a section for ${type}`);
  });
});
