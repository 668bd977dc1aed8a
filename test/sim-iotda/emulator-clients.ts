/** Shared by the IoTDA emulator tests: device clients (MQTT.js) and awaiting emulator events. */
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import type { IotdaEmulator, EmulatorEvent } from '../../dist/sim/iotda';
import { iotdaCredentials } from '../../dist/iotda';

/** CONNECT options with the device's IoTDA credentials; no automatic reconnect. */
export function deviceOptions(deviceId: string, secret: string, overrides: Partial<IClientOptions> = {}, signType: 0 | 1 = 0): IClientOptions {
  const c = iotdaCredentials(deviceId, secret, { signType });
  return { clientId: c.clientId, username: c.username, password: c.password, keepalive: 120, reconnectPeriod: 0, clean: true, ...overrides };
}

/** Resolves with the emulator's next event of `type` for `deviceId`. */
export function nextEmulatorEvent(emu: IotdaEmulator, type: string, deviceId: string): Promise<EmulatorEvent> {
  return new Promise((resolve) => {
    const off = emu.onEvent((e) => {
      if (e.type === type && e.deviceId === deviceId) {
        off();
        resolve(e);
      }
    });
  });
}

/** Device clients of one test file; `endAll` leaves every device offline for the next test. */
export class DeviceClients {
  private readonly clients: MqttClient[] = [];

  constructor(private readonly emu: () => IotdaEmulator) {}

  async connect(opts: IClientOptions): Promise<MqttClient> {
    const c = await mqtt.connectAsync(this.emu().mqttUrl, opts);
    this.clients.push(c);
    return c;
  }

  /** Tracks a client connected elsewhere, so endAll ends it too. */
  track(c: MqttClient): MqttClient {
    this.clients.push(c);
    return c;
  }

  /** Ends one tracked client (forcibly) and stops tracking it. */
  async end(c: MqttClient): Promise<void> {
    this.clients.splice(this.clients.indexOf(c), 1);
    await c.endAsync(true);
  }

  /** Ends every client and waits until the emulator has seen each online device go offline. */
  async endAll(): Promise<void> {
    const emu = this.emu();
    const offline = emu
      .listDevices()
      .filter((d) => d.online)
      .map((d) => nextEmulatorEvent(emu, 'offline', d.deviceId));
    await Promise.all(this.clients.splice(0).map((c) => c.endAsync(true)));
    await Promise.all(offline);
  }
}
