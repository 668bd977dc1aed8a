import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatFigures, runCampaign, FAULTS, type SoakModel } from './campaign';

// The fault campaign at the test suite's size: each model gets its faults (each kind at least
// once), a redeploy and a restart. `npm run soak` runs 1000 reports per model.

const REPORTS = Number(process.env.SOAK_TEST_REPORTS ?? 120);

describe('fault campaign (small)', () => {
  for (const model of ['ec20', 'bc26', 'esp8266'] as SoakModel[]) {
    it(`${model}: no report lost, out of order or rejected under random faults`, { timeout: 150_000 }, async () => {
      const f = await runCampaign({ model, reports: REPORTS, offerRate: 40, faultEveryMs: 150, faultRounds: 1, drainTimeoutMs: 30_000 });
      console.log(formatFigures(f));
      for (const fault of FAULTS) assert.ok((f.faults[fault] ?? 0) >= 1, `fault ${fault} injected`);
      assert.equal(f.redeploys, 1);
      assert.equal(f.restarts, 1);
      assert.deepEqual(f.rejected, {});
      assert.equal(f.lost, 0);
      assert.equal(f.outOfOrder, 0);
    });
  }
});
