/** The link layer: modem sharing, the connection state machine, offline queue and de-dup. */
export * from './backoff';
export * from './errors';
export * from './offline-queue';
export * from './downlink-dedup';
export * from './modem-supervisor';
export * from './link-supervisor';
export * from './link-states';
export * from './link-queue';
export * from './queue-store';
export * from './downlink-router';
export * from './topic-match';
