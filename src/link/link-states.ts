/**
 * The link's states and the one table of allowed moves between them. The supervisor changes
 * state only through `nextState`, so an unexpected (state, event) pair is a bug that shows up in
 * the log instead of a silent jump.
 */
export type LinkState =
  | 'idle'
  | 'opening-port'
  | 'init'
  | 'attaching'
  | 'opening-mqtt'
  | 'connecting'
  | 'subscribing'
  | 'online'
  | 'backoff'
  /** IoTDA refused the login (CONNACK 4/5): no retry until reconnect()/release() or a config change. */
  | 'refused'
  /** Taken down on purpose by the flow (msg.action "disconnect"): publishes queue, nothing retries until release(). */
  | 'held'
  | 'stopping'
  | 'stopped';

export type LinkEvent =
  /** A new attempt begins (connect, retry timer, release, reconnect). */
  | 'start'
  /** Modem bring-up progress: port, modem init, network attach. */
  | 'port'
  | 'modem'
  | 'attach'
  | 'mqtt-open'
  | 'mqtt-connect'
  | 'subscribe'
  | 'online'
  /** Anything that ends an attempt or an online session, except a refused login. */
  | 'failure'
  /** CONNACK 4/5. */
  | 'refused'
  /** A hold of a link with nothing to take down. */
  | 'hold'
  /** A take-down begins (stop or hold of an active link). */
  | 'take-down'
  | 'held'
  | 'stopped';

export const ACTIVE_STATES: ReadonlySet<LinkState> = new Set(['opening-port', 'init', 'attaching', 'opening-mqtt', 'connecting', 'subscribing', 'online']);
const BRINGUP: LinkState[] = ['opening-port', 'init', 'attaching'];
/** The modem is being brought up (port, init, network attach): no MQTT yet. */
export const BRINGUP_STATES: ReadonlySet<LinkState> = new Set(BRINGUP);
const ACTIVE = [...ACTIVE_STATES];
const RESTING: LinkState[] = ['idle', 'backoff', 'refused', 'held', 'stopped'];

/** event -> the states it may come from -> the state it leads to. */
const TABLE: Record<LinkEvent, { from: LinkState[]; to: LinkState }> = {
  // An active link restarts on reconnect(); a resting one starts.
  start: { from: [...RESTING, ...ACTIVE], to: 'opening-port' },
  port: { from: BRINGUP, to: 'opening-port' },
  modem: { from: BRINGUP, to: 'init' },
  attach: { from: BRINGUP, to: 'attaching' },
  'mqtt-open': { from: BRINGUP, to: 'opening-mqtt' },
  'mqtt-connect': { from: ['opening-mqtt'], to: 'connecting' },
  subscribe: { from: ['connecting'], to: 'subscribing' },
  online: { from: ['subscribing'], to: 'online' },
  failure: { from: ACTIVE, to: 'backoff' },
  refused: { from: ACTIVE, to: 'refused' },
  hold: { from: RESTING, to: 'held' },
  'take-down': { from: [...ACTIVE, 'backoff', 'refused'], to: 'stopping' },
  held: { from: ['stopping'], to: 'held' },
  stopped: { from: ['stopping', ...RESTING], to: 'stopped' },
};

/** The state `event` leads to from `state`, or undefined when the table does not allow it. */
export function nextState(state: LinkState, event: LinkEvent): LinkState | undefined {
  const t = TABLE[event];
  return t.from.includes(state) ? t.to : undefined;
}
