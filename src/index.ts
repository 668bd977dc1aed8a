/**
 * Programmatic API of node-red-contrib-iotda-at, for plain Node.js users:
 * transports, the AT channel, modem drivers, the link supervisor, the IoTDA helpers
 * and the emulators. The Node-RED nodes live in dist/nodes/iotda-at.js.
 */
export * from './transport';
export * from './at';
export * from './modems';
export * from './iotda';
export * from './link';
export * from './sim/iotda';
export * from './sim/modems';
export { SimPort, SIM_MODELS, simModelOf } from './sim/sim-port';
