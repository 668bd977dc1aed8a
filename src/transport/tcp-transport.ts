/**
 * A Transport to a serial device server (ser2net, Moxa NPort, USR-TCP232) that exposes the
 * modem's UART as a raw TCP socket: `tcp://host:port`. Each open() makes a new connection.
 */
import net from 'node:net';
import { StreamTransport } from './stream-transport';
import { TransportError } from './transport';

const DEFAULT_CONNECT_TIMEOUT_MS = 10000;

export interface TcpTarget {
  host: string;
  port: number;
}

/** Parses `tcp://host:port` (IPv6 hosts in brackets); throws TransportError on anything else. */
export function parseTcpUrl(url: string): TcpTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TransportError(`"${url}" is not a valid tcp://host:port address`, url);
  }
  const port = Number(parsed.port);
  if (parsed.protocol !== 'tcp:' || !parsed.hostname || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TransportError(`"${url}" is not a valid tcp://host:port address (a host and a port 1-65535 are required)`, url);
  }
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  return { host, port };
}

export class TcpTransport extends StreamTransport {
  readonly description: string;
  private readonly target: TcpTarget;

  constructor(
    url: string,
    private readonly connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS,
  ) {
    super();
    this.target = parseTcpUrl(url);
    this.description = url;
  }

  open(): Promise<void> {
    if (this.isOpen) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.target.host, port: this.target.port });
      const fail = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new TransportError(`cannot connect to ${this.description}: ${err.message}`, this.description, { cause: err }));
      };
      const timer = setTimeout(() => fail(new Error(`no answer within ${this.connectTimeoutMs} ms`)), this.connectTimeoutMs);
      socket.once('error', fail);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', fail);
        // AT commands are small and latency-bound: do not let Nagle hold them back.
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 30000);
        this.attach(socket);
        resolve();
      });
    });
  }
}
