/**
 * `at-publish`: one input msg → one IoTDA uplink through the shared link. The msg goes out
 * (with msg.topic and msg.messageId) and `done()` fires only after the modem confirms it;
 * every failure reaches a Catch node through `done(err)` with a translated message, except the
 * reports dropped because the node is removed: one log line counts them.
 */
import { LinkError } from '../link/errors';
import { getProfile } from '../modems/load-profile';
import { publishLimitsOf } from '../modems/payload-check';
import type { ModemProfile } from '../modems/profile';
import type { ConnectNode, LinkUser } from './mqtt-at-connect';
import type { NodeMessage, RedAPI, RedNode } from './node-red-api';
import { editorText } from './status-view';
import { PUBLISH_KINDS, buildUplink, translatePublishError, type PublishKind } from './uplink-message';
import { publishLabel, nameByLabel } from './node-label';

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

/**
 * One report on its way: the msg and where its outcome goes. A redeployed (not removed) node
 * leaves its reports in the link queue and parks them here by node id; its new instance (same
 * id) takes them over, so their outcome reaches the flow through the new node.
 */
interface Pending {
  msg: NodeMessage;
  topic: string;
  /** The node that reports the outcome now; undefined while parked between two instances. */
  owner?: { ok(p: Pending, messageId: number): void; fail(p: Pending, err: unknown): void };
  /** An outcome that arrived while parked. */
  outcome?: { messageId: number } | { err: unknown };
}

const parked = new Map<string, Set<Pending>>();

function settle(p: Pending, outcome: { messageId: number } | { err: unknown }): void {
  if (!p.owner) {
    p.outcome = outcome;
    return;
  }
  if ('err' in outcome) p.owner.fail(p, outcome.err);
  else p.owner.ok(p, outcome.messageId);
}

/** The configured model's profile, for its limits while no modem is up. */
function profileOf(connection: ConnectNode): ModemProfile | undefined {
  const model = connection.modemNode?.model;
  if (!model) return undefined;
  try {
    return getProfile(model);
  } catch {
    return undefined;
  }
}

export function registerAtPublish(RED: RedAPI): void {
  function AtPublish(this: RedNode, config: PublishDef) {
    RED.nodes.createNode(this, config);
    // Log lines and Catch messages name an unnamed node by its editor label, not its id.
    nameByLabel(this, publishLabel(RED, { ...config }));
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
    // The reports cancelled because this node is removed fail with this one error: each msg is
    // done without an error of its own and the log gets one line with their count.
    const removedError = new LinkError('closed', 'the node was removed before the message was sent');
    const mine = new Set<Pending>();
    const translated = (err: unknown) => {
      const model = connection.modemNode?.model ?? connection.link?.publishLimits?.model ?? 'modem';
      // The connection's advice for its port: what to check when a real serial port timed out.
      const t = translatePublishError(err, String(model), connection.link?.opts.timeoutAdvice);
      return new Error(RED._(t.key, t.params));
    };
    // Reports of this node's previous instance (a redeploy): their outcome is reported here.
    const adopted: Pending[] = [...(parked.get(node.id) ?? [])];
    parked.delete(node.id);
    const adoptedOwner = {
      ok: (p: Pending, messageId: number) => {
        mine.delete(p);
        waiting--;
        connection.refresh(user);
        p.msg.topic = p.topic;
        p.msg.messageId = messageId;
        node.send(p.msg);
      },
      fail: (p: Pending, err: unknown) => {
        mine.delete(p);
        waiting--;
        connection.refresh(user);
        if (err !== removedError) node.error(translated(err), p.msg);
      },
    };
    connection.register(user);
    for (const p of adopted) {
      mine.add(p);
      waiting++;
      p.owner = adoptedOwner;
      const outcome = p.outcome;
      delete p.outcome;
      if (outcome) settle(p, outcome);
    }
    if (adopted.length > 0) connection.refresh(user);
    if (invalidKind) node.status({ fill: 'red', shape: 'ring', text: RED._('iotda-at.errors.invalidKind', { kind }) });

    node.on('input', (msg: NodeMessage, send, done) => {
      const fail = (err: unknown) => done(translated(err));
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
        // The modem's limits when it is up, else the configured model's: a report too large for
        // the model must not take a queue slot while the modem is down.
        const profile = profileOf(connection);
        const limits = link.publishLimits ?? (profile ? publishLimitsOf(profile) : undefined);
        const maxBytes = limits?.maxPayloadBytes;
        uplink = buildUplink(
          {
            kind,
            deviceId: connection.deviceId,
            serviceId: config.serviceId,
            topic: config.topic,
            template: config.template,
            ...(maxBytes !== undefined ? { maxBytes } : {}),
          },
          msg as Record<string, unknown>,
        );
        // Refuse what the model's publish mode cannot carry before it takes a queue slot.
        limits?.check(uplink.topic, uplink.payload, qos);
      } catch (err) {
        return fail(err);
      }
      waiting++;
      connection.refresh(user);
      const topic = uplink.topic;
      const pending: Pending = {
        msg,
        topic,
        owner: {
          ok: (p, messageId) => {
            mine.delete(p);
            waiting--;
            connection.refresh(user);
            msg.topic = topic;
            msg.messageId = messageId;
            send(msg);
            done();
          },
          fail: (p, err) => {
            mine.delete(p);
            waiting--;
            connection.refresh(user);
            if (err === removedError) done();
            else fail(err);
          },
        },
      };
      mine.add(pending);
      link.publish(topic, uplink.payload, qos, { owner: node.id, queueSize }).then(
        (messageId) => settle(pending, { messageId }),
        (err) => settle(pending, { err }),
      );
    });

    node.on('close', (removed: boolean, done: () => void) => {
      if (removed) {
        // Queued messages of a removed node end now, so no flow waits forever: one log line for all.
        const link = connection.link;
        const count = link?.queuedOf(node.id) ?? 0;
        link?.cancel(node.id, removedError);
        if (count > 0) node.warn(RED._('iotda-at.errors.removedWithQueued', { count }));
      } else if (mine.size > 0) {
        // Redeployed: the reports stay queued and the new instance reports their outcome.
        for (const p of mine) delete p.owner;
        parked.set(node.id, new Set(mine));
        mine.clear();
      }
      connection.deregister(user, done, removed);
    });
  }

  RED.nodes.registerType('at-publish', AtPublish);
}
