import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AtTimeoutError } from '../../dist/at/errors';
import { ModemError } from '../../dist/modems/errors';
import { useMockClock } from '../mock-clock';
import { DEVICE, reach, reachIn, useLinkRig } from './link-rig';

const UP = `$oc/devices/${DEVICE}/sys/properties/report`;
const rig = useLinkRig();

describe('hung modem', () => {
  it("the driver's 'unresponsive' event marks the modem lost; the link reopens it and reconnects", async () => {
    const r = rig();
    r.link.connect();
    await reach(r.link, 'online');
    r.drivers[0].emit('unresponsive', '3 commands in a row timed out');
    const down = await reach(r.link, 'backoff');
    assert.match(down.reason ?? '', /stopped answering \(3 commands in a row timed out\)/);
    assert.equal(r.lost.length, 1);
    await reach(r.link, 'online');
    assert.equal(r.drivers.length, 2, 'a fresh driver');
    assert.equal(r.drivers[0].closed, true);
  });

  it('a publish timeout re-queues the report instead of rejecting it', async () => {
    const r = rig();
    r.link.connect();
    await reach(r.link, 'online');
    const d = r.drivers[0];
    d.failures.set('publish', [new ModemError('AT+QMTPUB', 'timeout', 'no answer within 15000 ms', { cause: new AtTimeoutError('AT+QMTPUB', 15000) })]);
    await r.link.publish(UP, Buffer.from('late but sent'), 1);
    assert.deepEqual(d.sessions.get(0)!.published.map((p) => p.payload), ['late but sent']);
  });

  it('the idle probe does not query the modem while a backlog is going out', async (t) => {
    const clock = useMockClock(t);
    const r = rig({ probeIntervalMs: 10, ratePerSecond: 0 });
    r.link.connect();
    await reachIn(clock, r.link, 'online');
    const d = r.drivers[0];
    const before = d.signals;
    // 20 reports, each publish taking 10 ms (of mocked time): 200 ms of backlog, 20 probe intervals.
    let slow = 0;
    const origGate = d.gate.bind(d);
    d.gate = async (step) => {
      if (step === 'publish') {
        slow++;
        await new Promise<void>((resolve) => setTimeout(resolve, 10));
      }
      return origGate(step);
    };
    await clock.until(Promise.all(Array.from({ length: 20 }, (_, i) => r.link.publish(UP, Buffer.from(String(i)), 1))), 'the backlog');
    assert.equal(slow, 20);
    assert.equal(d.signals, before, 'no probe while publishes were going out or had just been confirmed');
  });
});
