#!/usr/bin/env node
// The fault campaign of issue 11: QoS 1 property reports on each emulated model while faults
// are injected at random, a full redeploy and a restart in the middle. Prints sent, received
// unique, lost, duplicated, out of order, rejected (with the reason) and peak RSS per model.
// Usage: npm run soak [-- --reports 1000 --models ec20,bc26,esp8266 --verbose]
'use strict';
const path = require('node:path');

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const reports = Number(arg('reports', 1000));
const models = String(arg('models', 'ec20,bc26,esp8266')).split(',');
const verbose = args.includes('--verbose');

const { runCampaign, formatFigures } = require(path.join(__dirname, '..', 'dist-test', 'soak', 'campaign.js'));

(async () => {
  let failed = false;
  for (const model of models) {
    const f = await runCampaign({
      model,
      reports,
      offerRate: 20,
      faultEveryMs: Number(arg('fault-every', 1000)),
      faultRounds: Number(arg('fault-rounds', 5)),
      log: verbose ? (t) => console.log(`  [${model}] ${t}`) : undefined,
    });
    console.log(formatFigures(f));
    if (f.lost || f.outOfOrder || Object.keys(f.rejected).length) failed = true;
  }
  console.log(failed ? 'soak: FAILED (target: 0 lost, 0 out of order, 0 rejected)' : 'soak: passed (0 lost, 0 out of order, 0 rejected)');
  process.exit(failed ? 1 : 0);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
