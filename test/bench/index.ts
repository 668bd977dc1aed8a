/**
 * `npm run bench`: runs every *.bench.js beside this file in turn. Each exports
 * `run(log)` and prints its figures as ratios against a baseline measured in the same run,
 * so the numbers mean something on any machine.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

interface BenchModule {
  title: string;
  run(log: (line: string) => void): Promise<void>;
}

async function main(): Promise<void> {
  const filter = process.argv.slice(2);
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.js'))
    .filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)))
    .sort();
  for (const file of files) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(__dirname, file)) as BenchModule;
    console.log(`\n## ${mod.title} (${file})`);
    await mod.run((line) => console.log(`  ${line}`));
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
