/**
 * Which interface of the module the host talks to: the module's own USB AT port or its main
 * UART. It decides where a Quectel EC20 must send its URCs (AT+QURCCFG="urcport", kept in
 * non-volatile memory; docs/models/ec20.md, "URC port"). `auto` reads it from the port:
 * - USB vendor 0x2C7C (Quectel), or 0x05C6:0x9215 (the Qualcomm ids the EC20 enumerates with;
 *   Linux qcserial names it QUECTEL_EC20_PID): the module's own USB port;
 * - a USB-serial bridge (FTDI 0403, CP210x 10C4, CH340 1A86, PL2303 067B) or `tcp://` (a
 *   serial device server): the main UART;
 * - anything else: not known, and the module's setting is left alone.
 */
export type HostInterfaceSetting = 'auto' | 'usb' | 'uart';
export type HostInterface = 'usb' | 'uart';

export interface PortUsbIds {
  vendorId: string;
  productId?: string;
  source: string;
}

export interface HostInterfaceDecision {
  /** Undefined: cannot be told; the driver leaves the module's URC port as it is. */
  hostInterface?: HostInterface;
  /** Why, for the log. */
  reason: string;
}

const MODULE_USB: { vendorId: string; productId?: string; what: string }[] = [
  { vendorId: '2c7c', what: 'Quectel' },
  { vendorId: '05c6', productId: '9215', what: 'Qualcomm 05c6:9215 (EC20)' },
];

const BRIDGES: Record<string, string> = {
  '0403': 'FTDI',
  '10c4': 'Silicon Labs CP210x',
  '1a86': 'WCH CH340',
  '067b': 'Prolific PL2303',
};

export function isHostInterfaceSetting(v: unknown): v is HostInterfaceSetting {
  return v === 'auto' || v === 'usb' || v === 'uart';
}

/**
 * Decides the host interface from the setting, the port name and the USB ids of the port
 * (undefined when they could not be read).
 */
export function decideHostInterface(setting: HostInterfaceSetting, port: string, ids: PortUsbIds | undefined): HostInterfaceDecision {
  if (setting === 'usb') return { hostInterface: 'usb', reason: 'interface set to the USB AT port' };
  if (setting === 'uart') return { hostInterface: 'uart', reason: 'interface set to the main UART' };
  if (/^tcp:\/\//i.test(port.trim())) return { hostInterface: 'uart', reason: `${port} is a serial device server: the main UART` };
  if (!ids) return { reason: `the USB ids of ${port} cannot be read (no udev, sysfs or /dev/serial/by-id entry)` };
  const id = `${ids.vendorId}${ids.productId ? `:${ids.productId}` : ''}`;
  const module = MODULE_USB.find((m) => m.vendorId === ids.vendorId && (!m.productId || m.productId === ids.productId));
  if (module) return { hostInterface: 'usb', reason: `${port} is the module's own USB port (${module.what}, ${id} from ${ids.source})` };
  const bridge = BRIDGES[ids.vendorId];
  if (bridge) return { hostInterface: 'uart', reason: `${port} is a ${bridge} USB-serial bridge (${id} from ${ids.source}): the main UART` };
  return { reason: `${port} has USB ids ${id} (from ${ids.source}), neither the module's nor a known USB-serial bridge` };
}
