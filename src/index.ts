/**
 * Programmatic API of node-red-contrib-iotda-at, for plain Node.js users:
 * transports, the AT channel, modem drivers, the link supervisor, the IoTDA helpers
 * and the emulators. The Node-RED nodes live in dist/nodes/iotda-at.js.
 */
export * from './transport/transport';
export * from './at/types';
export * from './modems/driver';
