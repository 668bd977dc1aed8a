/**
 * The emulator's device registry: what IoTDA's console calls "devices", with the latest
 * reported properties and a short history per device. Plain data, no MQTT.
 */
import * as fs from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { validateDeviceId } from './wire-format';

export interface DeviceSpec {
  deviceId: string;
  secret: string;
  productId?: string;
  /** Declared service ids (informational; the emulator accepts any service, as a product without a model does). */
  services?: string[];
  /** A frozen device is refused with CONNACK 5. */
  frozen?: boolean;
  /**
   * Custom topics declared in the product: names under `$oc/devices/{device_id}/user/`
   * (docs/iotda.md §1.4). Undeclared `user/` topics are refused.
   */
  customTopics?: string[];
}

export interface HistoryEntry {
  time: string;
  direction: 'up' | 'down';
  kind: string;
  topic: string;
  payload: unknown;
}

export interface ServiceState {
  properties: Record<string, unknown>;
  event_time: string;
  /** The shadow version: counts the changes of the reported properties (docs/iotda.md §1.6). */
  version: number;
}

export interface DeviceView {
  deviceId: string;
  productId?: string;
  services?: string[];
  customTopics?: string[];
  frozen: boolean;
  online: boolean;
  lastOnline?: string;
  lastOffline?: string;
  properties: Record<string, ServiceState>;
  history?: HistoryEntry[];
}

interface DeviceRecord extends DeviceSpec {
  online: boolean;
  lastOnline?: string;
  lastOffline?: string;
  properties: Record<string, ServiceState>;
  history: HistoryEntry[];
}

/** Enough to follow a session in the console without growing without bound. */
const HISTORY_LIMIT = 100;

export class DeviceRegistry {
  private readonly devices = new Map<string, DeviceRecord>();

  constructor(private readonly file?: string) {}

  /** Reads `[{deviceId, secret, ...}]` or `{devices: [...]}` from the devices file. */
  load(): void {
    if (!this.file || !fs.existsSync(this.file)) return;
    const parsed = JSON.parse(fs.readFileSync(this.file, 'utf8')) as DeviceSpec[] | { devices: DeviceSpec[] };
    const list = Array.isArray(parsed) ? parsed : parsed.devices;
    if (!Array.isArray(list)) throw new Error(`${this.file}: expected an array of devices or {"devices": [...]}`);
    for (const d of list) this.add(d, false);
  }

  private save(): void {
    if (!this.file) return;
    const specs = [...this.devices.values()].map(({ deviceId, secret, productId, services, frozen, customTopics }) => ({
      deviceId,
      secret,
      productId,
      services,
      frozen,
      customTopics,
    }));
    fs.writeFileSync(this.file, JSON.stringify({ devices: specs }, null, 2));
  }

  add(spec: DeviceSpec, persist = true): DeviceView {
    validateDeviceId(spec.deviceId);
    if (typeof spec.secret !== 'string' || spec.secret.length === 0) {
      throw new Error(`device ${spec.deviceId}: secret is required`);
    }
    for (const name of spec.customTopics ?? []) {
      if (typeof name !== 'string' || name.length === 0 || /[+#\u0000]/.test(name)) {
        throw new Error(`device ${spec.deviceId}: custom topic ${JSON.stringify(name)} is empty or contains + # or NUL`);
      }
    }
    const existing = this.devices.get(spec.deviceId);
    const record: DeviceRecord = {
      ...spec,
      online: existing?.online ?? false,
      properties: existing?.properties ?? {},
      history: existing?.history ?? [],
    };
    this.devices.set(spec.deviceId, record);
    if (persist) this.save();
    return this.view(record, false);
  }

  remove(deviceId: string): boolean {
    const ok = this.devices.delete(deviceId);
    if (ok) this.save();
    return ok;
  }

  secretOf(deviceId: string): string | undefined {
    return this.devices.get(deviceId)?.secret;
  }

  customTopicsOf(deviceId: string): string[] {
    return this.devices.get(deviceId)?.customTopics ?? [];
  }

  isFrozen(deviceId: string): boolean {
    return this.devices.get(deviceId)?.frozen === true;
  }

  setFrozen(deviceId: string, frozen: boolean): void {
    const d = this.must(deviceId);
    d.frozen = frozen;
    this.save();
  }

  has(deviceId: string): boolean {
    return this.devices.has(deviceId);
  }

  setOnline(deviceId: string, online: boolean): void {
    const d = this.devices.get(deviceId);
    if (!d) return;
    d.online = online;
    if (online) d.lastOnline = new Date().toISOString();
    else d.lastOffline = new Date().toISOString();
  }

  /** Merges reported properties into the latest state of the service. */
  updateProperties(deviceId: string, serviceId: string, properties: Record<string, unknown>, eventTime?: string): void {
    const d = this.devices.get(deviceId);
    if (!d) return;
    const before = d.properties[serviceId];
    const merged = { ...(before?.properties ?? {}), ...properties };
    // A report that repeats the stored values leaves the shadow, and so its version, as it was.
    const changed = before === undefined || !isDeepStrictEqual(before.properties, merged);
    d.properties[serviceId] = {
      properties: merged,
      event_time: eventTime ?? formatNow(),
      version: (before?.version ?? 0) + (changed ? 1 : 0),
    };
  }

  record(deviceId: string, entry: Omit<HistoryEntry, 'time'>): void {
    const d = this.devices.get(deviceId);
    if (!d) return;
    d.history.push({ time: new Date().toISOString(), ...entry });
    if (d.history.length > HISTORY_LIMIT) d.history.splice(0, d.history.length - HISTORY_LIMIT);
  }

  list(): DeviceView[] {
    return [...this.devices.values()].map((d) => this.view(d, false));
  }

  get(deviceId: string): DeviceView | undefined {
    const d = this.devices.get(deviceId);
    return d ? this.view(d, true) : undefined;
  }

  private must(deviceId: string): DeviceRecord {
    const d = this.devices.get(deviceId);
    if (!d) throw new Error(`unknown device ${deviceId}`);
    return d;
  }

  private view(d: DeviceRecord, withHistory: boolean): DeviceView {
    const v: DeviceView = {
      deviceId: d.deviceId,
      productId: d.productId,
      services: d.services,
      customTopics: d.customTopics,
      frozen: d.frozen === true,
      online: d.online,
      lastOnline: d.lastOnline,
      lastOffline: d.lastOffline,
      properties: structuredClone(d.properties),
    };
    if (withHistory) v.history = structuredClone(d.history);
    return v;
  }
}

/** Platform time for reports without event_time, in the report format (yyyy-MM-ddTHH:mm:ss.SSSZ). */
function formatNow(): string {
  return new Date().toISOString();
}
