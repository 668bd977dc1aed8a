import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { helper, nodeRedPath, nodeRedVersion, PREFIX_ENV } from './node-red-under-test';

// .ci/run runs the node and example tests a second time on Node-RED 5 under Node 22, naming the
// npm prefix in IOTDA_TEST_NODE_RED_PREFIX and the majors it expects; this file checks the run
// really is on those versions, so a rig that quietly fell back to the project's Node-RED 4.1
// cannot pass for a Node-RED 5 run.
const EXPECT_NODE_RED_MAJOR = process.env.IOTDA_TEST_NODE_RED_MAJOR;
const EXPECT_NODE_MAJOR = process.env.IOTDA_TEST_NODE_MAJOR;

function major(version: string): string {
  return version.replace(/^v/, '').split('.')[0];
}

describe('the Node-RED the tests run on', () => {
  before(async () => {
    await helper.startServer();
  });
  after(async () => {
    await helper.stopServer();
  });

  it('the helper runs the runtime from the named prefix (or the project), at the version asked for', () => {
    const prefix = process.env[PREFIX_ENV];
    if (prefix) assert.ok(nodeRedPath.startsWith(path.resolve(prefix) + path.sep), `${nodeRedPath} is under ${prefix}`);
    // A runtime inside a git checkout reports '<version>-git'.
    assert.equal(String(helper._RED.version()).replace(/-git$/, ''), nodeRedVersion);
    if (EXPECT_NODE_RED_MAJOR) assert.equal(major(helper._RED.version()), EXPECT_NODE_RED_MAJOR, 'Node-RED major');
    if (EXPECT_NODE_MAJOR) assert.equal(major(process.version), EXPECT_NODE_MAJOR, 'Node.js major');
  });

  it("the package's declared Node-RED range admits the runtime under test", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const declared = (require('../../package.json') as { 'node-red': { version: string } })['node-red'].version;
    const min = /^>=(\d+)/.exec(declared);
    assert.ok(min, `node-red.version "${declared}" is a >= range`);
    assert.ok(Number(major(nodeRedVersion)) >= Number(min[1]), `${nodeRedVersion} satisfies ${declared}`);
  });
});
