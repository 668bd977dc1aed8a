/**
 * The Node-RED node set `iotda-at` (package.json "node-red.nodes"): registers the two config
 * nodes, the two flow nodes and the port-discovery admin route.
 */
import { registerAtPublish } from './at-publish';
import { registerAtSubscribe } from './at-subscribe';
import { registerModemConfig } from './modem-config';
import { registerMqttAtConnect } from './mqtt-at-connect';
import type { RedAPI } from './node-red-api';
import { registerPortsEndpoint } from './ports-endpoint';

export = function iotdaAt(RED: RedAPI): void {
  registerModemConfig(RED);
  registerMqttAtConnect(RED);
  registerAtPublish(RED);
  registerAtSubscribe(RED);
  registerPortsEndpoint(RED);
};
