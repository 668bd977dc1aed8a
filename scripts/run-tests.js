#!/usr/bin/env node
// Runs every compiled test file (dist-test/**/*.test.js) with Node's own test runner and
// ends with a plain "N passed, N failed" line that any CI can read.
// Usage: node scripts/run-tests.js [substring filter...]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const testRoot = path.join(root, 'dist-test');
const filters = process.argv.slice(2);

function findTests(dir) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findTests(p));
    else if (entry.name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

const files = findTests(testRoot).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('run-tests: no test files found under dist-test/');
  process.exit(1);
}

const args = ['--test', '--test-reporter=tap', '--test-timeout=180000', ...files];
const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TZ: process.env.TZ || 'UTC' } });
let pass = 0;
let fail = 0;
let skipped = 0;
let buffered = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  buffered += chunk.toString('utf8');
  let nl;
  while ((nl = buffered.indexOf('\n')) >= 0) {
    const line = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    let m;
    if ((m = /^# pass (\d+)/.exec(line))) pass = Number(m[1]);
    else if ((m = /^# fail (\d+)/.exec(line))) fail = Number(m[1]);
    else if ((m = /^# skipped (\d+)/.exec(line))) skipped = Number(m[1]);
  }
});
child.on('close', (code) => {
  const failed = code !== 0 && fail === 0 ? 1 : fail;
  console.log(`${pass} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(code === 0 && failed === 0 && pass > 0 ? 0 : 1);
});
