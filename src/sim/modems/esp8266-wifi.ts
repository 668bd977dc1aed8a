/**
 * The station side of the emulated ESP-AT: Wi-Fi mode, joining and leaving an access point,
 * the station's address, and SNTP, which needs the station joined (docs/models/esp8266.md
 * "Wi-Fi" and "Network time").
 */
import { CommandFailure, CRLF, ERR, needRange, type EspCall, type EspCommandTable, type EspDialect } from './esp8266-commands';
import { EspSntp } from './esp8266-sntp';

const STA_MAC = '18:fe:34:a1:b2:c3';
const AP_BSSID = 'c8:3a:35:0e:22:f1';

export class EspWifi {
  /** The access point joined, or null. */
  private joined: { ssid: string; rssi: number } | null = null;
  private cwMode = 1;
  /** Fault: the next AT+CWJAP fails with this `+CWJAP:<code>` (0: none). */
  private nextJoinFailure = 0;
  private readonly sntp: EspSntp;

  constructor(
    private readonly engine: EspDialect,
    /** The broker link goes with the station (the MQTT module's URC). */
    private readonly linkLost: () => void,
  ) {
    this.sntp = new EspSntp(engine.opts.networkClock);
  }

  get up(): boolean {
    return this.joined !== null;
  }

  register(c: EspCommandTable): void {
    c.set('CWMODE', {
      query: () => [`+CWMODE:${this.cwMode}`],
      set: (call) => {
        const [mode] = call.values(['int', 'int?']);
        needRange(mode, 0, 3);
        this.cwMode = mode;
        if (mode === 0 || mode === 2) this.lost();
        return [];
      },
    });
    c.set('CWJAP', {
      set: (call) => this.join(call),
      query: () => {
        if (!this.joined) return ['No AP'];
        return [`+CWJAP:"${this.joined.ssid}","${AP_BSSID}",6,${this.joined.rssi},0,1,3,0,1`];
      },
    });
    c.set('CWAUTOCONN', {
      set: (call) => {
        const [v] = call.values(['int']);
        needRange(v, 0, 1);
        return [];
      },
    });
    c.set('CWQAP', {
      exec: () => {
        if (!this.joined) return [];
        this.joined = null;
        this.linkLost();
        return ['WIFI DISCONNECT'];
      },
    });
    c.set('CWLAP', {
      exec: () =>
        (this.engine.opts.wifiNetworks ?? [{ ssid: 'EmulatedAP', password: '', rssi: -55 }]).map(
          (n) => `+CWLAP:(3,"${n.ssid}",${n.rssi ?? -55},"${AP_BSSID}",6,-1,-1,4,4,7,0)`,
        ),
    });
    c.set('CIPSTA', {
      query: () => {
        const ip = this.joined ? '192.168.4.23' : '0.0.0.0';
        const gw = this.joined ? '192.168.4.1' : '0.0.0.0';
        const mask = this.joined ? '255.255.255.0' : '0.0.0.0';
        return [`+CIPSTA:ip:"${ip}"`, `+CIPSTA:gateway:"${gw}"`, `+CIPSTA:netmask:"${mask}"`];
      },
    });
    c.set('CIPSTAMAC', { query: () => [`+CIPSTAMAC:"${STA_MAC}"`] });
    c.set('CIPSNTPCFG', {
      set: (call) => {
        const [enable, zone, ...servers] = call.values(['int', 'int?', 'str?', 'str?', 'str?']) as [number, number | undefined, ...(Buffer | undefined)[]];
        const names = servers.filter((s): s is Buffer => s !== undefined).map((s) => s.toString('utf8'));
        if (!this.sntp.configure(enable, zone, names, this.joined !== null)) throw new CommandFailure(ERR.invalidParam);
        return [];
      },
      query: () => [this.sntp.configLine()],
    });
    c.set('CIPSNTPTIME', { query: () => [this.sntp.timeLine()] });
  }

  /** A stored station configuration joins by itself after boot (capture esp_at_1.txt). */
  autoJoin(gen: number): void {
    const { storedWifi: ssid, wifiNetworks } = this.engine.opts;
    if (ssid === undefined) return;
    const net = wifiNetworks?.find((n) => n.ssid === ssid);
    if (wifiNetworks && !net) return;
    this.engine.afterLatency(gen, () => {
      if (this.joined) return;
      this.engine.send(`WIFI CONNECTED${CRLF}`);
      this.engine.afterLatency(gen, () => {
        this.joined = { ssid, rssi: net?.rssi ?? -55 };
        this.sntp.joined(true);
        this.engine.send(`WIFI GOT IP${CRLF}`);
      });
    });
  }

  /** Fault: the next CWJAP fails with `+CWJAP:<code>` (1 timeout, 2 wrong password, 3 no AP, 4 failed). */
  failNextJoin(code: 1 | 2 | 3 | 4): void {
    this.nextJoinFailure = code;
  }

  /** The access point is gone: `WIFI DISCONNECT`, and the MQTT link with it. */
  lost(): void {
    if (!this.joined) return;
    this.joined = null;
    this.engine.send(`WIFI DISCONNECT${CRLF}`);
    this.linkLost();
  }

  /** Forget station, mode and SNTP, silently (reboot). */
  reset(): void {
    this.cwMode = 1;
    this.joined = null;
    this.sntp.reset();
  }

  private async join(call: EspCall): Promise<string[]> {
    const { opts, traits } = this.engine;
    const [ssidB, pwdB] = call.values(['str', 'str', 'str?', 'int?', 'int?', 'int?', 'int?', 'int?', 'int?']) as [Buffer, Buffer];
    if (this.cwMode !== 1 && this.cwMode !== 3) throw new CommandFailure(ERR.execFailed);
    if (pwdB.length > 64 || ssidB.length === 0 || ssidB.length > 32) throw new CommandFailure(ERR.invalidParam);
    const ssid = ssidB.toString('utf8');
    const pwd = pwdB.toString('utf8');
    if (this.joined) {
      this.joined = null;
      this.linkLost();
      this.engine.send(`WIFI DISCONNECT${CRLF}`);
      // esp_at_5.txt: `busy p...` after each Wi-Fi URC while the join is under way (joinBusy).
      if (opts.joinBusy) this.engine.send(`busy p...${CRLF}`);
    }
    await this.engine.pause(call.gen, 3);
    let code = this.nextJoinFailure;
    this.nextJoinFailure = 0;
    let rssi = -55;
    const known = opts.wifiNetworks;
    if (!code && known) {
      const net = known.find((n) => n.ssid === ssid);
      if (!net) code = 3;
      else if (net.password !== pwd) code = 2;
      else rssi = net.rssi ?? -55;
    }
    if (code) throw new CommandFailure(ERR.execFailed, 0, [`+CWJAP:${code}`], traits.cwjapFailFinal);
    this.engine.send(`WIFI CONNECTED${CRLF}`);
    if (opts.joinBusy) this.engine.send(`busy p...${CRLF}`);
    await this.engine.pause(call.gen);
    this.joined = { ssid, rssi };
    this.sntp.joined(true);
    return ['WIFI GOT IP'];
  }
}
