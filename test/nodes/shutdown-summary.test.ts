import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { baseCreds, baseFlow, helper, iotdaAt, isOnline, statusWhere, useNodeRig, type FlowNode } from './flow-rig';

// A deploy that removes a publisher while its reports wait in the queue (the connection's
// rate limit holds them): the log gets one line with their count, not one error per report.
// Stopping Node-RED hands the queue over instead (persisted when persistQueue is on) and logs
// nothing of the sort.

type LogLine = { level: number; id?: string; msg: unknown };
const ERROR = 20;
const WARN = 30;
const INFO = 40;

function linesOf(id: string): LogLine[] {
  return helper.log().args.map((a: unknown[]) => a[0] as LogLine).filter((m: LogLine) => m.id === id && m.level <= WARN);
}

describe('removing a publisher with queued reports', () => {
  const rig = useNodeRig();

  /**
   * Loads a connection (EC20) and a publisher p1 in a fresh userDir, waits until p1 is online,
   * then gives p1 20 reports. Returns the flow.
   */
  async function loadAndSend20(conn: Partial<FlowNode> = {}): Promise<FlowNode[]> {
    helper.settings({ userDir: fs.mkdtempSync(path.join(os.tmpdir(), 'iotda-at-nr-')) });
    const flow: FlowNode[] = [
      ...baseFlow('ec20', rig.emu.mqttPort, conn),
      { id: 'p1', type: 'at-publish', z: 'f1', connection: 'c1', kind: 'property', serviceId: 'stm32', wires: [] },
    ];
    await helper.load(iotdaAt, flow, baseCreds('ec20'));
    const p1 = helper.getNode('p1');
    await statusWhere(p1, isOnline);
    for (let i = 0; i < 20; i++) p1.receive({ payload: { t: i } });
    return flow;
  }

  it('logs one summary line with the count, and no error per report', async () => {
    const flow = await loadAndSend20();
    const c1 = helper.getNode('c1');
    // The link takes the reports synchronously; most wait behind the publish rate limit.
    const queued = c1.link.queuedOf('p1') as number;
    assert.ok(queued >= 2, `reports wait in the queue (${queued})`);

    // A full deploy of a flow without the publisher (the connection stays): p1 is removed.
    await helper._redNodes.setFlows(flow.filter((n) => n.id !== 'p1'), baseCreds('ec20'), 'full');
    const lines = linesOf('p1');
    assert.deepEqual(lines.filter((l) => l.level === ERROR).map((l) => String(l.msg)), [], 'no error per report');
    const warns = lines.filter((l) => l.level === WARN).map((l) => String(l.msg));
    assert.equal(warns.length, 1, `one summary line: ${JSON.stringify(warns)}`);
    assert.match(warns[0], new RegExp(`^iotda-at\\.errors\\.removedWithQueued|^${queued} `), warns[0]);
  });

  /** The connection's info lines (the test runtime logs catalog keys as they are). */
  const infoOf = (id: string): string[] => helper.log().args.map((a: unknown[]) => a[0] as LogLine).filter((m: LogLine) => m.id === id && m.level === INFO).map((m: LogLine) => String(m.msg));

  for (const [persistQueue, key] of [[true, 'iotda-at.queue.keptOnDisk'], [false, 'iotda-at.queue.keptInMemory']] as const) {
    it(`stopping Node-RED with queued reports logs neither errors nor a removal line; the connection says where they are kept (offline queue ${persistQueue ? 'on' : 'off'})`, async () => {
      await loadAndSend20({ persistQueue });
      assert.ok((helper.getNode('c1').link.queuedOf('p1') as number) >= 2, 'reports wait in the queue');
      await helper._redNodes.stopFlows();
      assert.deepEqual(linesOf('p1').map((l) => String(l.msg)), []);
      assert.deepEqual(infoOf('c1').filter((l: string) => l.startsWith('iotda-at.queue.')), [key]);
    });
  }
});
