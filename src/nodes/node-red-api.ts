/**
 * The slice of the Node-RED runtime API these nodes use. @types/node-red's generics make
 * credentials and custom `this` types awkward (docs/node-red.md §6), and this is all we need.
 */
export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export interface NodeMessage {
  _msgid?: string;
  topic?: string;
  payload?: unknown;
  [key: string]: unknown;
}

export interface RedNode {
  id: string;
  type: string;
  name?: string;
  z?: string;
  credentials?: Record<string, string | undefined>;
  on(event: 'input', fn: (msg: NodeMessage, send: (msg: NodeMessage | NodeMessage[] | null) => void, done: (err?: Error) => void) => void): void;
  on(event: 'close', fn: (removed: boolean, done: () => void) => void): void;
  status(s: NodeStatus): void;
  send(msg: NodeMessage | NodeMessage[] | null): void;
  log(text: string): void;
  warn(text: string): void;
  error(text: string | Error, msg?: NodeMessage): void;
  debug(text: string): void;
  trace(text: string): void;
}

export interface RedAPI {
  nodes: {
    createNode(node: object, config: object): void;
    getNode(id: string): unknown;
    registerType(type: string, ctor: Function, opts?: { credentials?: Record<string, { type: 'text' | 'password' }>; settings?: Record<string, { value: unknown; exportable?: boolean }> }): void;
  };
  settings: Record<string, unknown>;
  httpAdmin: { get(path: string, ...handlers: Function[]): void };
  auth: { needsPermission(permission: string): Function };
  _(key: string, substitutions?: Record<string, unknown>): string;
  log: { warn(text: string): void; info(text: string): void };
}
