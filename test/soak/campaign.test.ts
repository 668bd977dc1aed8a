import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatFigures, runCampaign, FAULTS, type SoakModel } from './campaign';

// The fault campaign at the test suite's size: each model gets its faults (each kind at least
// once), a redeploy and a restart. `npm run soak` runs 1000 reports per model.

const REPORTS = Number(process.env.SOAK_TEST_REPORTS ?? 120);

describe('fault campaign (small)', () => {
  for (const model of ['ec20', 'bc26', 'esp8266'] as SoakModel[]) {
    it(`${model}: no report lost, out of order or rejected under random faults`, { timeout: 240_000 }, async () => {
      // The drain may outlast a fault's longest legitimate wait (a BC26 attach polls for up to its
      // attach deadline): the test is about nothing lost, not about speed.
      const trail: string[] = [];
      const f = await runCampaign({
        model,
        reports: REPORTS,
        offerRate: 40,
        faultEveryMs: 150,
        faultRounds: 1,
        drainTimeoutMs: 90_000,
        log: (t) => trail.push(`${new Date().toISOString()} ${t}`),
      });
      console.log(formatFigures(f));
      // On a failure the campaign's own log says which fault the link did not get over.
      if (f.lost > 0 || Object.keys(f.rejected).length > 0) console.log(trail.slice(-150).map((l) => `# ${l}`).join('\n'));
      for (const fault of FAULTS) assert.ok((f.faults[fault] ?? 0) >= 1, `fault ${fault} injected`);
      assert.equal(f.redeploys, 1);
      assert.equal(f.restarts, 1);
      assert.deepEqual(f.rejected, {});
      assert.equal(f.lost, 0);
      assert.equal(f.outOfOrder, 0);
    });
  }
});
