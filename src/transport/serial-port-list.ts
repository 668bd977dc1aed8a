/**
 * Serial ports for the editor's port picker. SerialPort.list() needs udev, which containers
 * usually lack; then the device nodes themselves are listed, stable /dev/serial/by-id names first.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { SerialPort } from 'serialport';

export interface SerialPortEntry {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  pnpId?: string;
}

export interface ListSerialPortsOptions {
  /** Replaces SerialPort.list (tests). */
  list?: () => Promise<SerialPortEntry[]>;
  /** Root of the device tree to scan in the fallback (default `/dev`; tests use a temp dir). */
  devDir?: string;
}

const DEVICE_FAMILIES = [/^ttyUSB(\d+)$/, /^ttyACM(\d+)$/, /^ttyS(\d+)$/];

async function readDirSafe(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch {
    return [];
  }
}

/** Device nodes present under `devDir`: by-id links first, then ttyUSB, ttyACM, ttyS in numeric order. */
export async function scanSerialDevices(devDir = '/dev'): Promise<SerialPortEntry[]> {
  const byIdDir = path.join(devDir, 'serial', 'by-id');
  const byId = (await readDirSafe(byIdDir)).sort().map((name) => ({ path: path.join(byIdDir, name) }));
  const names = await readDirSafe(devDir);
  const nodes: SerialPortEntry[] = [];
  for (const family of DEVICE_FAMILIES) {
    const found = names
      .map((n) => ({ n, m: family.exec(n) }))
      .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null)
      .sort((a, b) => Number(a.m[1]) - Number(b.m[1]));
    for (const f of found) nodes.push({ path: path.join(devDir, f.n) });
  }
  return [...byId, ...nodes];
}

export async function listSerialPorts(opts: ListSerialPortsOptions = {}): Promise<SerialPortEntry[]> {
  const list = opts.list ?? (() => SerialPort.list());
  try {
    const ports = await list();
    if (ports.length > 0) {
      return ports.map((p) => {
        const e: SerialPortEntry = { path: p.path };
        if (p.manufacturer) e.manufacturer = p.manufacturer;
        if (p.serialNumber) e.serialNumber = p.serialNumber;
        if (p.pnpId) e.pnpId = p.pnpId;
        return e;
      });
    }
  } catch {
    // No udevadm in containers: fall through to the device scan.
  }
  return scanSerialDevices(opts.devDir);
}

/** The USB ids of the device behind a serial port, as four lower-case hex digits each. */
export interface UsbIds {
  vendorId: string;
  productId?: string;
  /** Where the ids came from (for the log line that explains a decision). */
  source: string;
}

export interface IdentifyPortOptions {
  /** Replaces SerialPort.list (tests). */
  list?: () => Promise<{ path: string; vendorId?: string; productId?: string }[]>;
  /** Root of sysfs (default `/sys`; tests use a temp tree). */
  sysDir?: string;
  /** Root of the device tree, for /dev/serial/by-id (default `/dev`). */
  devDir?: string;
}

/**
 * Vendor names in /dev/serial/by-id links (`usb-<vendor>_<product>_<serial>-if<nn>-port0`)
 * for the vendors the interface decision knows, when only the link name is left to read.
 */
const BY_ID_VENDORS: [RegExp, string][] = [
  [/^usb-Quectel/i, '2c7c'],
  [/^usb-FTDI/i, '0403'],
  [/^usb-Silicon_Labs/i, '10c4'],
  [/^usb-1a86/i, '1a86'],
  [/^usb-QinHeng/i, '1a86'],
  [/^usb-Prolific/i, '067b'],
];

const hex4 = (v: string | undefined): string | undefined => {
  const t = (v ?? '').trim().toLowerCase().replace(/^0x/, '');
  return /^[0-9a-f]{1,4}$/.test(t) ? t.padStart(4, '0') : undefined;
};

async function realpathSafe(p: string): Promise<string | undefined> {
  try {
    return await fs.realpath(p);
  } catch {
    return undefined;
  }
}

/** idVendor/idProduct of the USB device above /sys/class/tty/<name>/device (a few levels up). */
async function idsFromSysfs(name: string, sysDir: string): Promise<UsbIds | undefined> {
  let dir = await realpathSafe(path.join(sysDir, 'class', 'tty', name, 'device'));
  for (let up = 0; dir && up < 5; up++, dir = path.dirname(dir)) {
    const vendor = hex4(await fs.readFile(path.join(dir, 'idVendor'), 'utf8').catch(() => undefined));
    if (!vendor) continue;
    const product = hex4(await fs.readFile(path.join(dir, 'idProduct'), 'utf8').catch(() => undefined));
    return { vendorId: vendor, ...(product ? { productId: product } : {}), source: `sysfs ${dir}` };
  }
  return undefined;
}

function idsFromByIdName(linkName: string): UsbIds | undefined {
  const hit = BY_ID_VENDORS.find(([re]) => re.test(linkName));
  return hit ? { vendorId: hit[1], source: `/dev/serial/by-id/${linkName}` } : undefined;
}

/**
 * The USB ids of the device behind a serial port path, or undefined when they cannot be told
 * (a built-in UART, no udev, no sysfs). Tried in order: serialport's list (udev), sysfs, and
 * the /dev/serial/by-id link name.
 */
export async function identifyUsbPort(portPath: string, opts: IdentifyPortOptions = {}): Promise<UsbIds | undefined> {
  const real = (await realpathSafe(portPath)) ?? portPath;
  try {
    const list = opts.list ?? (() => SerialPort.list());
    for (const p of await list()) {
      if (p.path !== portPath && p.path !== real) continue;
      const vendor = hex4(p.vendorId);
      const product = hex4(p.productId);
      if (vendor) return { vendorId: vendor, ...(product ? { productId: product } : {}), source: 'serialport list (udev)' };
    }
  } catch {
    // No udevadm in containers: sysfs below.
  }
  for (const name of new Set([path.basename(portPath), path.basename(real)])) {
    const ids = await idsFromSysfs(name, opts.sysDir ?? '/sys');
    if (ids) return ids;
  }
  const byIdDir = path.join(opts.devDir ?? '/dev', 'serial', 'by-id');
  if (path.dirname(portPath) === byIdDir) return idsFromByIdName(path.basename(portPath));
  for (const link of await readDirSafe(byIdDir)) {
    if ((await realpathSafe(path.join(byIdDir, link))) === real) return idsFromByIdName(link);
  }
  return undefined;
}

/** Ports that are no serial line: the built-in emulators and TCP bridges. */
const NOT_SERIAL = /^(sim:|tcp:\/\/|socket:\/\/|rfc2217:\/\/)/i;

/**
 * What to check when a real serial port gave no answer in time, in the runtime's language
 * (`zh…` = Chinese, else English); undefined for emulator and network ports, where none of it
 * applies. Appended to the timeout error of a bring-up or a command on that port.
 */
export function serialTimeoutAdvice(portPath: string, lang = 'en-US'): string | undefined {
  if (!portPath || NOT_SERIAL.test(portPath.trim())) return undefined;
  if (/^zh/i.test(lang)) {
    return (
      `请检查 ${portPath}：波特率是否与模块一致（Quectel：AT+IPR?；ESP-AT：AT+UART_CUR?）；多接口 USB 模组是否选了 AT 接口（EC20 一般为 ttyUSB2，不是 ttyUSB0/1）；` +
      '是否有其他程序占用该端口（ModemManager、串口终端、另一个流程）；模块是否已上电开机（Quectel 的 PWRKEY、ESP8266 的 EN 引脚）。'
    );
  }
  return (
    `Check ${portPath}: the baud rate matches the module's (Quectel: AT+IPR?, ESP-AT: AT+UART_CUR?); on a multi-port USB modem this is the AT interface ` +
    '(usually ttyUSB2 on an EC20, not ttyUSB0/1); no other program holds the port (ModemManager, a serial terminal, another flow); ' +
    'the module is powered and switched on (PWRKEY on a Quectel module, EN on an ESP8266).'
  );
}
