/**
 * Opens the transport a `port` setting names: a serial device path or `tcp://host:port`.
 * `sim:<model>` is resolved by the node layer (it owns the emulator and links it with a
 * DuplexTransport), so it is refused here with a message saying so.
 */
import { SerialTransport } from './serial-transport';
import { TcpTransport } from './tcp-transport';
import { type Transport, TransportError } from './transport';

export * from './transport';
export { StreamTransport } from './stream-transport';
export { DuplexTransport } from './duplex-transport';
export { TcpTransport, parseTcpUrl, type TcpTarget } from './tcp-transport';
export { SerialTransport, describeSerialOpenError, type SerialTransportOptions } from './serial-transport';
export {
  listSerialPorts,
  scanSerialDevices,
  identifyUsbPort,
  type SerialPortEntry,
  type ListSerialPortsOptions,
  type UsbIds,
  type IdentifyPortOptions,
} from './serial-port-list';

export const DEFAULT_BAUD_RATE = 115200;

export function createTransport(port: string, opts: { baudRate?: number; binding?: unknown } = {}): Transport {
  const p = (port ?? '').trim();
  if (p === '') throw new TransportError('no modem port configured: set a serial path (e.g. /dev/ttyUSB2), tcp://host:port or sim:<model>', p);
  if (p.startsWith('sim:')) {
    throw new TransportError(`"${p}" is an emulated modem: it is linked in-process by the modem config node (DuplexTransport), not opened as a port`, p);
  }
  if (p.startsWith('tcp://')) return new TcpTransport(p);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) {
    throw new TransportError(`"${p}": unsupported port scheme; use a serial path, tcp://host:port or sim:<model>`, p);
  }
  const baudRate = opts.baudRate ?? DEFAULT_BAUD_RATE;
  if (!Number.isInteger(baudRate) || baudRate <= 0) throw new TransportError(`invalid baud rate ${baudRate} for ${p}`, p);
  return new SerialTransport({ path: p, baudRate, ...(opts.binding !== undefined ? { binding: opts.binding } : {}) });
}
