/**
 * `npm start` (scripts/demo.js) writes the demo flow on the first run only: a second run keeps
 * what the user built in the editor, `--reset-flows` brings the demo flow back; each run says
 * which it did.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startDemo } from './demo-process';

interface Run {
  out: string;
  editorUrl: string;
  stop(): Promise<void>;
}

/** Starts demo.js on free ports in `dir`; resolves once it printed the editor URL. */
async function startRun(dir: string, args: string[] = []): Promise<Run> {
  const { out, url, child, exited } = await startDemo(dir, { args });
  return {
    out,
    editorUrl: url,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
    },
  };
}

async function deployedNodes(editorUrl: string): Promise<{ id: string; type: string; name?: string }[]> {
  const res = await fetch(`${editorUrl}flows`, { headers: { 'Node-RED-API-Version': 'v1' } });
  assert.equal(res.status, 200);
  return (await res.json()) as { id: string; type: string; name?: string }[];
}

describe('npm start and the user\'s flows', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iotda-demo-flows-'));
  let running: Run | undefined;
  after(async () => {
    await running?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('deploys the demo flow once, keeps the user\'s flows on the next run, and resets on --reset-flows', async () => {
    running = await startRun(dir);
    assert.match(running.out, /Flows: deployed the demo flow \(first run\)/);
    const demoNodes = await deployedNodes(running.editorUrl);
    assert.ok(demoNodes.some((n) => n.type === 'mqtt-at-connect'), 'the demo flow is deployed');

    // What a user builds in the editor: a flow of their own, deployed through the admin API.
    const mine = [{ id: 'u5e7000000000001', type: 'tab', label: 'mine' }, { id: 'u5e7000000000002', type: 'comment', z: 'u5e7000000000001', name: 'my own work', info: '' }];
    const deploy = await fetch(`${running.editorUrl}flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify(mine),
    });
    assert.equal(deploy.status, 204, await deploy.text());
    await running.stop();

    running = await startRun(dir);
    assert.match(running.out, /Flows: kept your flows in .*flows\.json \(npm start -- --reset-flows deploys the demo flow again\)/);
    assert.deepEqual((await deployedNodes(running.editorUrl)).map((n) => n.id).sort(), mine.map((n) => n.id).sort());
    await running.stop();

    running = await startRun(dir, ['--reset-flows']);
    assert.match(running.out, /Flows: deployed the demo flow again \(--reset-flows\)/);
    const after = await deployedNodes(running.editorUrl);
    assert.ok(!after.some((n) => n.id === 'u5e7000000000002'), 'the user flow was replaced on request');
    assert.ok(after.some((n) => n.type === 'mqtt-at-connect'));
    await running.stop();
    running = undefined;
  });
});
