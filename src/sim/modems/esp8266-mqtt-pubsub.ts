/**
 * Publishing, subscribing and downlinks of the emulated ESP-AT MQTT client
 * (docs/models/esp8266.md "Publish", "Glued URC", "Subscribe" and "Downlinks").
 */
import type { MqttClient } from 'mqtt';
import { CommandFailure, CRLF, ERR, MQTT_ERR, needLink, needRange, type EspCall, type EspCommandTable, type EspDialect } from './esp8266-commands';
import { ESP8266_MQTT_BUFFER, fitsPublishBuffer, subRecvFragments, subRecvUrc } from './esp8266-mqtt-frames';
import { MqttState, type EspMqtt } from './esp8266-mqtt';

const MAX_SUBSCRIPTIONS = 10;

export class EspMqttPubSub {
  /** AT+MQTTPUBRAW is between its prompt and the end of its data. */
  enteringPubRaw = false;
  /** The link dropped while AT+MQTTPUBRAW data was being entered: the result gets the URC glued on. */
  droppedDuringPubRaw = false;
  /** Fault: the link drops when the next AT+MQTTPUBRAW's data starts to arrive. */
  dropLinkInNextPubRaw = false;
  /** Topic -> QoS of the subscriptions, in the order they were made. */
  private readonly subs = new Map<string, number>();
  /** Downlinks waiting to be printed, in arrival order (a reboot starts a new chain). */
  private downlinks: Promise<void> = Promise.resolve();

  constructor(
    private readonly engine: EspDialect,
    private readonly mqtt: EspMqtt,
  ) {}

  register(c: EspCommandTable): void {
    c.set('MQTTPUB', { set: (call) => this.pub(call) });
    c.set('MQTTPUBRAW', { set: (call) => this.pubRaw(call) });
    c.set('MQTTSUB', {
      set: (call) => this.sub(call),
      query: () => [...this.subs].map(([t, q]) => `+MQTTSUB:0,${this.mqtt.state},"${t}",${q}`),
    });
    c.set('MQTTUNSUB', { set: (call) => this.unsub(call) });
  }

  /** The subscriptions are gone with the link or the configuration. */
  clear(): void {
    this.subs.clear();
  }

  /** Forget subscriptions, queued downlinks and a publish under way, silently (reboot). */
  reset(): void {
    this.subs.clear();
    this.downlinks = Promise.resolve();
    this.droppedDuringPubRaw = false;
    this.enteringPubRaw = false;
  }

  /** A message from the broker: `+MQTTSUBRECV` URCs, split as the MQTT buffer splits it. */
  downlink(topic: string, payload: Buffer, qos: number, gen: number): void {
    const t = Buffer.from(topic, 'utf8');
    const urcs = subRecvFragments(t, payload, qos, this.bufferBytes).map((part) => subRecvUrc(0, t, part));
    // The module prints downlinks in the order they arrived, each after its own latency.
    this.downlinks = this.downlinks
      .then(() => this.engine.pause(gen))
      .then(() => {
        for (const u of urcs) this.engine.send(u);
      });
  }

  private get bufferBytes(): number {
    return this.engine.opts.mqttBufferBytes ?? ESP8266_MQTT_BUFFER;
  }

  private checkTopic(topic: Buffer): void {
    if (topic.length === 0 || topic.length > this.engine.traits.topicBytes) throw new CommandFailure(ERR.invalidParam, MQTT_ERR.topicTooLong);
  }

  private publish(client: MqttClient, topic: Buffer, data: Buffer, qos: number, retain: boolean): Promise<boolean> {
    return new Promise((resolve) => {
      client.publish(topic.toString('utf8'), data, { qos: qos as 0 | 1 | 2, retain }, (err) => resolve(!err));
    });
  }

  private async pub(call: EspCall): Promise<string[]> {
    const [link, topic, data, qos, retain] = call.values(['int', 'str', 'str', 'int', 'int']) as [number, Buffer, Buffer, number, number];
    needLink(link);
    needRange(qos, 0, 2);
    needRange(retain, 0, 1);
    this.checkTopic(topic);
    if (data.includes(0)) throw new CommandFailure(ERR.invalidParam); // documented: no \0 in MQTTPUB data
    const client = this.mqtt.connectedClient();
    // QoS 1: the OK waits for the PUBACK (not documented either way: an emulator choice).
    const ok = await this.publish(client, topic, data, qos, retain === 1);
    if (call.gen !== this.engine.generation) return [];
    if (!ok) throw new CommandFailure(ERR.execFailed, MQTT_ERR.disconnected);
    return [];
  }

  private async pubRaw(call: EspCall): Promise<null> {
    const gen = call.gen;
    const [link, topic, len, qos, retain] = call.values(['int', 'str', 'int', 'int', 'int']) as [number, Buffer, number, number, number];
    needLink(link);
    needRange(qos, 0, 2);
    needRange(retain, 0, 1);
    this.checkTopic(topic);
    needRange(len, 1, 1 << 20);
    const client = this.mqtt.connectedClient();
    this.enteringPubRaw = true;
    // The size is not checked before the prompt: an oversized message is taken in full and then
    // fails, because esp-mqtt cannot build the packet in its buffer (docs/models/esp8266.md).
    // The drop fault strikes when the first data byte arrives.
    const dropOnData = this.dropLinkInNextPubRaw;
    this.dropLinkInNextPubRaw = false;
    const data = await this.engine.prompt(len, gen, dropOnData ? () => this.mqtt.linkLost() : undefined);
    this.enteringPubRaw = false;
    if (gen !== this.engine.generation) return null;
    const fits = fitsPublishBuffer(topic.length, len, qos, this.bufferBytes);
    if (!fits) this.engine.log(`esp8266: AT+MQTTPUBRAW of ${len} bytes does not fit the ${this.bufferBytes}-byte MQTT buffer`);
    const ok = fits && this.mqtt.client === client && (await this.publish(client, topic, data, qos, retain === 1));
    if (gen !== this.engine.generation) return null;
    if (this.droppedDuringPubRaw) {
      this.droppedDuringPubRaw = false;
      this.engine.sendFinal(`+MQTTPUB:FAIL${CRLF}`);
      return null;
    }
    await this.engine.pause(gen);
    if (gen !== this.engine.generation) return null;
    this.engine.sendFinal(`${CRLF}+MQTTPUB:${ok ? 'OK' : 'FAIL'}${CRLF}`);
    return null;
  }

  private async sub(call: EspCall): Promise<string[]> {
    const [link, topic, qos] = call.values(['int', 'str', 'int']) as [number, Buffer, number];
    needLink(link);
    needRange(qos, 0, 2);
    this.checkTopic(topic);
    const client = this.mqtt.connectedClient();
    const t = topic.toString('utf8');
    if (this.subs.has(t)) {
      // 2.2.0.0 prints this on its log UART (GPIO2), so the AT port shows the OK alone.
      if (this.engine.traits.alreadySubscribeOnLogUart) {
        this.engine.log('esp8266 log UART: ALREADY SUBSCRIBE');
        return [];
      }
      return ['ALREADY SUBSCRIBE'];
    }
    if (this.subs.size >= MAX_SUBSCRIPTIONS) throw new CommandFailure(ERR.execFailed);
    const granted = await new Promise<number | null>((resolve) => {
      client.subscribe(t, { qos: qos as 0 | 1 | 2 }, (err, grants) => resolve(err || !grants?.[0] ? null : grants[0].qos));
    });
    if (call.gen !== this.engine.generation) return [];
    if (granted === null || granted === 128) throw new CommandFailure(ERR.execFailed);
    this.subs.set(t, qos);
    this.mqtt.state = MqttState.Subscribed;
    return [];
  }

  private async unsub(call: EspCall): Promise<string[]> {
    const [link, topic] = call.values(['int', 'str']) as [number, Buffer];
    needLink(link);
    const client = this.mqtt.connectedClient();
    const t = topic.toString('utf8');
    if (!this.subs.has(t)) return ['NO UNSUBSCRIBE'];
    await new Promise<void>((resolve) => client.unsubscribe(t, () => resolve()));
    if (call.gen !== this.engine.generation) return [];
    this.subs.delete(t);
    if (this.subs.size === 0) this.mqtt.state = MqttState.Connected;
    return [];
  }
}
