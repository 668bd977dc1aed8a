/**
 * Shared rig for the Node-RED node tests: the test helper on the real runtime, the IoTDA
 * emulator on a free loopback port and flow builders whose modems are `sim:` emulators.
 */
import { before, after, afterEach } from 'node:test';
import { startIotdaEmulator, type EmulatorEvent, type IotdaEmulator } from '../../dist/sim/iotda';
import { within } from '../modems/event-deadline';
import { helper, requireFromRuntime } from '../nr5/node-red-under-test';

// The helper on the Node-RED under test: the project's, or the one .ci/run names (test/nr5/).
export { helper };
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const iotdaAt = require('../../dist/nodes/iotda-at');
export const catchNode = requireFromRuntime('@node-red/nodes/core/common/25-catch.js');

export const DEVICE = 'rig_product_dev01';
export const SECRET = 'rig-secret-0001';
export const MODELS = ['ec20', 'bc26', 'esp8266'] as const;
export type Model = (typeof MODELS)[number];

// `report` is the custom topic the raw-publish flows use; IoTDA refuses undeclared `user/` topics (docs/iotda.md §1.4).
export async function startEmulator(devices = [{ deviceId: DEVICE, secret: SECRET, customTopics: ['report'] }], extra: { tlsPort?: number } = {}): Promise<IotdaEmulator> {
  return startIotdaEmulator({ host: '127.0.0.1', mqttPort: 0, httpPort: 0, devices, log: () => undefined, ...extra });
}

/**
 * The rig for the tests of the calling describe: registers its hooks. Before all, the Node-RED
 * test server and an IoTDA emulator; after each test, `afterEachTest` (e.g. undoing mocked
 * timers, which must come before the flow stops), then the helper settings reset and the flow
 * unloaded; after all, both stopped. Read `emu` inside tests and hooks, once before() has run.
 * `tlsPort` (0 = any free port) also opens the emulator's MQTTS listener.
 */
export function useNodeRig(options: { afterEachTest?: () => void; tlsPort?: number } = {}): { readonly emu: IotdaEmulator } {
  let emu: IotdaEmulator | undefined;
  before(async () => {
    await helper.startServer();
    emu = await startEmulator(undefined, options.tlsPort !== undefined ? { tlsPort: options.tlsPort } : {});
  });
  after(async () => {
    await emu?.close();
    await helper.stopServer();
  });
  afterEach(async () => {
    options.afterEachTest?.();
    helper.settings({});
    await helper.unload();
  });
  return {
    get emu() {
      if (!emu) throw new Error('the IoTDA emulator is not started: read it in a test or hook, after before()');
      return emu;
    },
  };
}

/** Resolves with the next emulator event of `type` (register BEFORE causing it). */
export function nextEmulatorEvent(emu: IotdaEmulator, type: string): Promise<EmulatorEvent> {
  let off = () => undefined as void;
  return within(
    new Promise<EmulatorEvent>((resolve) => {
      off = emu.onEvent((e) => {
        if (e.type !== type) return;
        off();
        resolve(e);
      });
    }),
    `no ${type} event from the IoTDA emulator`,
  ).finally(() => off());
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FlowNode = Record<string, any>;

/** A tab, one sim: modem and one IoTDA connection to the emulator; add flow nodes with `z: 'f1'`. */
export function baseFlow(model: Model, mqttPort: number, conn: Partial<FlowNode> = {}): FlowNode[] {
  return [
    { id: 'f1', type: 'tab', label: 'test' },
    {
      id: 'm1',
      type: 'modem-config',
      port: `sim:${model}`,
      model,
      baudRate: 921600,
      apn: '',
      wifiSsid: model === 'esp8266' ? 'rig-wifi' : '',
      trace: false,
    },
    { id: 'c1', type: 'mqtt-at-connect', modem: 'm1', host: '127.0.0.1', port: mqttPort, tls: false, deviceId: DEVICE, signType: 0, keepalive: 120, clientIndex: 0, ...conn },
  ];
}

/**
 * baseFlow plus a property publisher `pub` (service env, QoS 1, a queue of 1000) wired to a helper
 * node `out`, then `extra` nodes.
 */
export function publisherFlow(model: Model, mqttPort: number, ...extra: FlowNode[]): FlowNode[] {
  return [
    ...baseFlow(model, mqttPort),
    { id: 'pub', type: 'at-publish', z: 'f1', connection: 'c1', kind: 'property', serviceId: 'env', qos: 1, queueSize: 1000, wires: [['out']] },
    { id: 'out', type: 'helper', z: 'f1' },
    ...extra,
  ];
}

export const baseCreds = (model: Model) => ({
  c1: { secret: SECRET },
  m1: model === 'esp8266' ? { wifiPassword: 'rig-wifi-pass' } : {},
});

/** Resolves with the next msg a helper node receives. */
export function nextInput(node: { once(ev: 'input', fn: (msg: FlowNode) => void): void }): Promise<FlowNode> {
  return within(new Promise((resolve) => node.once('input', resolve)), 'no input on the helper node');
}

/**
 * The status values `node` has shown, oldest first. The helper spies on the shared Node
 * prototype, so the spy's calls are filtered by the node they were made on.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function statusesOf(node: any): FlowNode[] {
  return node.status.getCalls().filter((c: { thisValue: unknown }) => c.thisValue === node).map((c: { args: FlowNode[] }) => c.args[0]);
}

/** The status `node` shows now. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const lastStatus = (node: any): FlowNode => statusesOf(node).at(-1) ?? {};

/** Resolves with the first status call of `node` that `test` accepts (checks the past calls too). */
export function statusWhere(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  node: any,
  test: (s: FlowNode) => boolean,
  timeoutMs = 20000,
): Promise<FlowNode> {
  for (const st of statusesOf(node)) if (test(st)) return Promise.resolve(st);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      node.removeListener('call:status', on);
      const seen = statusesOf(node).map((x) => JSON.stringify(x));
      reject(new Error(`no matching status on ${node.id}; saw ${seen.join(' | ')}`));
    }, timeoutMs);
    const on = (call: { args: FlowNode[] }) => {
      if (!test(call.args[0])) return;
      clearTimeout(timer);
      node.removeListener('call:status', on);
      resolve(call.args[0]);
    };
    node.on('call:status', on);
  });
}

export const isOnline = (s: FlowNode) => s.fill === 'green' && s.shape === 'dot';
