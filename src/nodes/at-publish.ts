/**
 * `at-publish`: one input msg → one IoTDA uplink through the shared link. The msg goes out
 * (with msg.topic and msg.messageId) and `done()` fires only after the modem confirms it;
 * every failure reaches a Catch node through `done(err)` with a translated message.
 */
import type { ConnectNode, LinkUser } from './mqtt-at-connect';
import type { NodeMessage, RedAPI, RedNode } from './node-red-api';
import { editorText } from './status-view';
import { PUBLISH_KINDS, buildUplink, translatePublishError, type PublishKind } from './uplink-message';

export interface PublishDef {
  id: string;
  name?: string;
  connection: string;
  kind: string;
  serviceId?: string;
  topic?: string;
  qos?: number | string;
  template?: string;
  queueSize?: number | string;
}

export function registerAtPublish(RED: RedAPI): void {
  function AtPublish(this: RedNode, config: PublishDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const connection = RED.nodes.getNode(config.connection) as ConnectNode | null;
    const kind = String(config.kind ?? 'property') as PublishKind;
    // QoS 0 unless the node says 1, matching the editor default and the contract.
    const qos: 0 | 1 = Number(config.qos ?? 0) === 1 ? 1 : 0;
    const qs = config.queueSize === undefined || config.queueSize === '' ? 1000 : Number(config.queueSize);
    const queueSize = Number.isInteger(qs) && qs >= 0 ? qs : 1000;
    let waiting = 0;

    if (!connection) {
      node.status({ fill: 'red', shape: 'ring', text: editorText('iotda-at.errors.noConnection') });
      node.on('input', (_msg, _send, done) => done(new Error(RED._('iotda-at.errors.noConnection'))));
      return;
    }
    const invalidKind = !(PUBLISH_KINDS as readonly string[]).includes(kind);
    const user: LinkUser = { node, queued: () => waiting };
    connection.register(user);
    if (invalidKind) node.status({ fill: 'red', shape: 'ring', text: RED._('iotda-at.errors.invalidKind', { kind }) });

    node.on('input', (msg: NodeMessage, send, done) => {
      const fail = (err: unknown) => {
        const model = connection.modemNode?.model ?? connection.link?.opts.modem.current?.model ?? 'modem';
        const t = translatePublishError(err, String(model));
        done(new Error(RED._(t.key, t.params)));
      };
      // msg.action controls the shared connection instead of publishing (as core MQTT nodes do);
      // the msg goes on once the action is done, so a flow can chain "connect" → publish.
      if (msg.action !== undefined && msg.action !== null && msg.action !== '') {
        connection.control(msg.action).then(
          () => {
            send(msg);
            done();
          },
          (err: Error) => done(err),
        );
        return;
      }
      if (invalidKind) return fail(new Error(RED._('iotda-at.errors.invalidKind', { kind })));
      if (connection.invalid || !connection.link) return done(new Error(connection.invalid ?? RED._('iotda-at.errors.noConnection')));
      const link = connection.link;
      let uplink;
      try {
        const driver = link.opts.modem.current;
        uplink = buildUplink(
          {
            kind,
            deviceId: connection.deviceId,
            serviceId: config.serviceId,
            topic: config.topic,
            template: config.template,
            ...(driver ? { maxBytes: driver.maxPayloadBytes } : {}),
          },
          msg as Record<string, unknown>,
        );
        // Refuse what the modem's publish mode cannot carry before it takes a queue slot.
        driver?.checkPayload(uplink.topic, uplink.payload);
      } catch (err) {
        return fail(err);
      }
      waiting++;
      connection.refresh(user);
      link.publish(uplink.topic, uplink.payload, qos, { owner: node.id, queueSize }).then(
        (messageId) => {
          waiting--;
          connection.refresh(user);
          msg.topic = uplink.topic;
          msg.messageId = messageId;
          send(msg);
          done();
        },
        (err) => {
          waiting--;
          connection.refresh(user);
          fail(err);
        },
      );
    });

    node.on('close', (removed: boolean, done: () => void) => {
      // Queued messages of this node fail now (done(err)), so no flow waits forever.
      connection.link?.cancel(node.id);
      connection.deregister(user, done, removed);
    });
  }

  RED.nodes.registerType('at-publish', AtPublish);
}
