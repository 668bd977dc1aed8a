#!/usr/bin/env node
// Node-RED looks for the editor .html, locales/ and icons/ beside the .js named in
// package.json "node-red.nodes", so the build assembles them next to dist/nodes/*.js.
// Non-TypeScript assets kept in src/ (e.g. the IoTDA web console page) are copied too.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');

function copyTree(from, to, filter) {
  if (!fs.existsSync(from)) return 0;
  let count = 0;
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) {
      count += copyTree(src, dst, filter);
    } else if (!filter || filter(entry.name)) {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(src, dst);
      count += 1;
    }
  }
  return count;
}

const copied =
  copyTree(path.join(root, 'nodes'), path.join(dist, 'nodes')) +
  copyTree(path.join(root, 'icons'), path.join(dist, 'nodes', 'icons')) +
  copyTree(path.join(root, 'src'), dist, (name) => !name.endsWith('.ts'));
console.log(`copy-editor-assets: ${copied} files copied into dist/`);
