/**
 * Which Node-RED the node and example tests run on. By default the project's own (the
 * devDependency, Node-RED 4.1). With IOTDA_TEST_NODE_RED_PREFIX naming an npm prefix directory
 * (`npm install --prefix <dir> node-red@5.0.x node-red-node-test-helper@0.3`, as .ci/run does),
 * the test helper, the runtime and the core nodes all come from that directory instead, so one
 * set of compiled tests checks the package on a second Node-RED major.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

export const PREFIX_ENV = 'IOTDA_TEST_NODE_RED_PREFIX';

/** `require` resolving from the chosen prefix, or from this project. */
function runtimeRequire(): NodeRequire {
  const prefix = process.env[PREFIX_ENV];
  if (!prefix) return require;
  // createRequire resolves node_modules upwards from the given file's directory: the prefix.
  return createRequire(path.join(path.resolve(prefix), 'node-red-under-test.js'));
}

const req = runtimeRequire();

/** The absolute path of the Node-RED runtime entry the helper is given. */
export const nodeRedPath: string = req.resolve('node-red');

/** The Node-RED version under test, from its package.json. */
export const nodeRedVersion: string = (req('node-red/package.json') as { version: string }).version;

/** node-red-node-test-helper from the same place, already pointed at that runtime. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const helper: any = req('node-red-node-test-helper');
helper.init(nodeRedPath);

/** A module of the runtime under test, e.g. '@node-red/nodes/core/common/25-catch.js'. */
export function requireFromRuntime(id: string): unknown {
  return req(id);
}
