/**
 * What the emulator knows about one MQTT connection, as one record per aedes client.
 * The record is opened when the emulator hands the socket to aedes, before any packet is read,
 * so every hook and event finds it; fields fill in as the connection moves on (CONNECT,
 * authentication, CONNACK, SUBSCRIBE, PUBLISH). Reading never creates a record, so nothing
 * said about a closed connection can bring it back; a record goes when its client is collected.
 */
import type { Client } from 'aedes';

/** What the CONNECT packet said that the connect rules need (connect-rules.ts). */
export interface ConnectFacts {
  keepalive: number;
  hasWill: boolean;
}

/** One fixed one-second window of a connection's uplinks, for the rate limits. */
export interface UplinkWindow {
  /** Date.now() when the window opened. */
  start: number;
  messages: number;
  bytes: number;
  /** A rate drop in this window has been reported; later ones stay quiet. */
  warned: boolean;
}

export interface ClientRecord {
  /** Set by preConnect, before authentication; absent until the CONNECT is read. */
  connect?: ConnectFacts;
  /** The device this connection logged in as; set when authentication passes. */
  deviceId?: string;
  /** `$oc/devices/{id}/`, set with deviceId and kept here: the topic policy runs on every PUBLISH. */
  namespace?: string;
  /** Topic filter → granted QoS, for the subscriptions authorizeSubscribe let through. */
  readonly subscriptions: Map<string, 0 | 1>;
  /** The current rate-limit window; absent until the first PUBLISH counted against the limits. */
  uplink?: UplinkWindow;
  /** CONNACK 0 is written: only now may the connection receive a PUBLISH. */
  acknowledged: boolean;
  /**
   * Downlinks for a registered client whose CONNACK is not yet written, sent once it is:
   * aedes reports 'connackSent' only after the write completes, which can be after the
   * device has read it.
   */
  awaitingConnack: (() => void)[];
}

export class ClientRecords {
  private readonly records = new WeakMap<Client, ClientRecord>();

  /** Called once per connection, right after aedes creates its client. */
  open(client: Client): ClientRecord {
    const record: ClientRecord = { subscriptions: new Map(), acknowledged: false, awaitingConnack: [] };
    this.records.set(client, record);
    return record;
  }

  /** The record of a client the emulator handed to aedes; any other client is a bug. */
  of(client: Client): ClientRecord {
    const record = this.records.get(client);
    if (!record) throw new Error(`no record for MQTT client ${client.id}: it did not come through the emulator's listeners`);
    return record;
  }
}
