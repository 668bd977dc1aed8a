/**
 * A shipped example flow, prepared for node-red-node-test-helper the way a user's import would
 * be: the nodes land on one tab, the IoTDA connection points at the test's emulator port and
 * the credentials (never exported with a flow) are typed in. Nothing else is touched.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { requireFromRuntime } from '../nr5/node-red-under-test';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FlowNode = Record<string, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NodeModule = (RED: any) => unknown;

export const EXAMPLES_DIR = path.resolve(__dirname, '..', '..', 'examples');
export const DEMO_DEVICE = 'demo_product_dev01';
export const DEMO_SECRET = 'demo-secret-0001';
export const DEMO_WIFI_PASSWORD = 'demo-password';

/** Every example file name, sorted: a new example must get its own expectation in the test. */
export function exampleFiles(): string[] {
  return fs.readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.json')).sort();
}

// The node modules an example may use. Node-RED's real core nodes, not stand-ins: the
// examples must run on the same code as in an installed Node-RED.
const CORE = '@node-red/nodes/core';
const MODULE_OF_TYPE: Record<string, string> = {
  'modem-config': '../../dist/nodes/iotda-at',
  'mqtt-at-connect': '../../dist/nodes/iotda-at',
  'at-publish': '../../dist/nodes/iotda-at',
  'at-subscribe': '../../dist/nodes/iotda-at',
  comment: `${CORE}/common/90-comment.js`,
  inject: `${CORE}/common/20-inject.js`,
  debug: `${CORE}/common/21-debug.js`,
  catch: `${CORE}/common/25-catch.js`,
  status: `${CORE}/common/25-status.js`,
  function: `${CORE}/function/10-function.js`,
  switch: `${CORE}/function/10-switch.js`,
  change: `${CORE}/function/15-change.js`,
  template: `${CORE}/function/80-template.js`,
  delay: `${CORE}/function/89-delay.js`,
  json: `${CORE}/parsers/70-JSON.js`,
};

export interface PreparedExample {
  file: string;
  /** The shipped nodes, by id (as loaded, i.e. with `z` set and the port rewritten). */
  nodes: Map<string, FlowNode>;
  flow: FlowNode[];
  credentials: Record<string, Record<string, string>>;
  modules: NodeModule[];
}

const TAB = 'e0e0e0e0e0e0e0e0';

export function prepareExample(file: string, mqttPort: number): PreparedExample {
  const shipped = JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, file), 'utf8')) as FlowNode[];
  const credentials: PreparedExample['credentials'] = {};
  const modulePaths = new Set<string>();
  const flow: FlowNode[] = [{ id: TAB, type: 'tab', label: file }];
  for (const original of shipped) {
    const n = { ...original };
    const mod = MODULE_OF_TYPE[n.type];
    if (!mod) throw new Error(`${file}: node type "${n.type}" has no module in test/examples/example-flow.ts`);
    modulePaths.add(mod);
    // Import puts flow nodes (those with a position) on the current tab; config nodes stay global.
    if ('x' in n && !n.z) n.z = TAB;
    if (n.type === 'mqtt-at-connect') {
      // The only change to the shipped flow: the emulator's free port instead of 1883.
      n.port = mqttPort;
      credentials[n.id] = { secret: DEMO_SECRET };
    }
    if (n.type === 'modem-config' && n.model === 'esp8266') credentials[n.id] = { wifiPassword: DEMO_WIFI_PASSWORD };
    flow.push(n);
  }
  // Core nodes come from the Node-RED under test (test/nr5/), the package's own from dist/.
  const modules = [...modulePaths].map((p) => (p.startsWith('.') ? require(p) : requireFromRuntime(p)) as NodeModule);
  return { file, nodes: new Map(flow.map((n) => [n.id, n])), flow, credentials, modules };
}

/** The ids of the shipped nodes of one type (optionally filtered), in file order. */
export function idsOfType(ex: PreparedExample, type: string, where: (n: FlowNode) => boolean = () => true): string[] {
  return [...ex.nodes.values()].filter((n) => n.type === type && where(n)).map((n) => n.id);
}

/** The id of the one node of `type` whose name is `name` (fails loudly if the example changed). */
export function idByName(ex: PreparedExample, type: string, name: string): string {
  const ids = idsOfType(ex, type, (n) => n.name === name);
  if (ids.length !== 1) throw new Error(`${ex.file}: expected one ${type} named "${name}", found ${ids.length}`);
  return ids[0];
}
