/**
 * Awaiting what a running example does: emulator events, msgs reaching a node, node status.
 * Each wait has a safety timeout that names what never happened.
 */
import type { IotdaEmulator, EmulatorEvent } from '../../dist/sim/iotda';
import type { FlowNode } from './example-flow';

const SAFETY_MS = 30000;

/** Resolves with the next emulator event of `type` that `test` accepts. */
export function emulatorEvent(
  emu: IotdaEmulator,
  type: string,
  test: (e: EmulatorEvent) => boolean = () => true,
  timeoutMs = SAFETY_MS,
): Promise<EmulatorEvent> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching "${type}" event within ${timeoutMs} ms; saw ${seen.join(' | ') || 'none'}`));
    }, timeoutMs);
    const off = emu.onEvent((e) => {
      if (e.type !== type) return;
      if (!test(e)) {
        seen.push(JSON.stringify(e));
        return;
      }
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

interface InputNode {
  id: string;
  on(ev: 'input', fn: (msg: FlowNode) => void): void;
  removeListener(ev: 'input', fn: (msg: FlowNode) => void): void;
}

/**
 * Resolves with the next msg that reaches `node` (a node of the shipped flow, e.g. a debug node)
 * and that `test` accepts. The extra input listener only watches: the node still runs.
 */
export function nodeInput(node: InputNode, test: (m: FlowNode) => boolean = () => true, timeoutMs = SAFETY_MS): Promise<FlowNode> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      node.removeListener('input', on);
      reject(new Error(`no matching msg reached node ${node.id} within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (msg: FlowNode) => {
      if (!test(msg)) return;
      clearTimeout(timer);
      node.removeListener('input', on);
      resolve(msg);
    };
    node.on('input', on);
  });
}

/** Every msg that reaches `node` from now on (to assert that a node got nothing). */
export function recordInputs(node: InputNode): { list: FlowNode[]; stop: () => void } {
  const list: FlowNode[] = [];
  const on = (msg: FlowNode) => void list.push(msg);
  node.on('input', on);
  return { list, stop: () => node.removeListener('input', on) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type SpiedNode = any;

/** The statuses `node` has shown: the helper spies on the shared Node prototype, so filter by node. */
function statusesOf(node: SpiedNode): FlowNode[] {
  return node.status.getCalls().filter((c: { thisValue: unknown }) => c.thisValue === node).map((c: { args: FlowNode[] }) => c.args[0]);
}

/** Resolves once `node` shows the green dot (the modem confirmed the MQTT connection). */
export function online(node: SpiedNode, timeoutMs = SAFETY_MS): Promise<void> {
  const isOnline = (s: FlowNode | undefined) => s?.fill === 'green' && s?.shape === 'dot';
  if (statusesOf(node).some(isOnline)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      node.removeListener('call:status', on);
      reject(new Error(`node ${node.id} never went online; statuses: ${statusesOf(node).map((s) => JSON.stringify(s)).join(' | ')}`));
    }, timeoutMs);
    const on = (call: { args: FlowNode[] }) => {
      if (!isOnline(call.args[0])) return;
      clearTimeout(timer);
      node.removeListener('call:status', on);
      resolve();
    };
    node.on('call:status', on);
  });
}
