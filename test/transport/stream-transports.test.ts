/** DuplexTransport and TcpTransport over real streams and loopback sockets; createTransport; port listing. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  DuplexTransport,
  SerialTransport,
  TcpTransport,
  TransportError,
  createTransport,
  listSerialPorts,
  parseTcpUrl,
} from '../../dist/transport/index';
import { createPipe } from '../at/modem-side';

describe('DuplexTransport', () => {
  it('carries bytes both ways and reports a peer end as close with a reason', async () => {
    const [a, b] = createPipe();
    const t = new DuplexTransport(a, 'sim:ec20');
    await t.open();
    assert.equal(t.isOpen, true);
    const got = once(b, 'data');
    await t.write(Buffer.from('AT\r'));
    assert.equal(((await got)[0] as Buffer).toString(), 'AT\r');
    const data = once(t, 'data');
    b.write('OK\r\n');
    assert.equal(((await data)[0] as Buffer).toString(), 'OK\r\n');
    const closed = once(t, 'close');
    b.destroy();
    const [reason] = await closed;
    assert.ok(reason instanceof TransportError);
    assert.match(reason.message, /sim:ec20/);
    assert.equal(t.isOpen, false);
    await assert.rejects(t.write(Buffer.from('AT\r')), /not open/);
    await assert.rejects(t.open(), /cannot be reopened/);
  });

  it('close() is idempotent, emits close once without a reason', async () => {
    const [a, b] = createPipe();
    const t = new DuplexTransport(a);
    await t.open();
    const reasons: unknown[] = [];
    t.on('close', (r) => reasons.push(r));
    await Promise.all([t.close(), t.close()]);
    await t.close();
    assert.deepEqual(reasons, [undefined]);
    b.destroy();
  });
});

describe('TcpTransport', () => {
  let server: net.Server;
  let port: number;
  const sockets: net.Socket[] = [];

  before(async () => {
    server = net.createServer((s) => {
      sockets.push(s);
      s.on('data', (d) => {
        if (d.toString() === 'AT\r') s.write('\r\nOK\r\n');
        if (d.toString() === 'BYE\r') s.end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as net.AddressInfo).port;
  });

  after(async () => {
    for (const s of sockets) s.destroy();
    server.close();
    await once(server, 'close');
  });

  it('talks to a ser2net-style raw socket and reports the server hanging up as close(reason)', async () => {
    const t = new TcpTransport(`tcp://127.0.0.1:${port}`);
    await t.open();
    assert.equal(t.description, `tcp://127.0.0.1:${port}`);
    const data = once(t, 'data');
    await t.write(Buffer.from('AT\r'));
    assert.equal(((await data)[0] as Buffer).toString(), '\r\nOK\r\n');
    const closed = once(t, 'close');
    await t.write(Buffer.from('BYE\r'));
    const [reason] = await closed;
    assert.ok(reason instanceof Error);
    assert.equal(t.isOpen, false);
    // A TCP transport can be reopened (the link layer reconnects).
    await t.open();
    assert.equal(t.isOpen, true);
    await t.close();
  });

  it('an open failure names the address', async () => {
    const probe = net.createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const freePort = (probe.address() as net.AddressInfo).port;
    probe.close();
    await once(probe, 'close');
    const t = new TcpTransport(`tcp://127.0.0.1:${freePort}`);
    await assert.rejects(t.open(), (e: unknown) => e instanceof TransportError && e.message.includes(`tcp://127.0.0.1:${freePort}`) && /ECONNREFUSED/.test(e.message));
  });

  const URLS: { url: string; ok?: { host: string; port: number } }[] = [
    { url: 'tcp://10.0.0.5:4001', ok: { host: '10.0.0.5', port: 4001 } },
    { url: 'tcp://modem-gw.local:7000', ok: { host: 'modem-gw.local', port: 7000 } },
    { url: 'tcp://[::1]:4001', ok: { host: '::1', port: 4001 } },
    { url: 'tcp://10.0.0.5' },
    { url: 'tcp://:4001' },
    { url: 'tcp://10.0.0.5:70000' },
    { url: 'udp://10.0.0.5:4001' },
  ];
  for (const c of URLS) {
    it(`parseTcpUrl ${c.url}`, () => {
      if (c.ok) assert.deepEqual(parseTcpUrl(c.url), c.ok);
      else assert.throws(() => parseTcpUrl(c.url), TransportError);
    });
  }
});

describe('createTransport', () => {
  const CASES: { port: string; kind?: unknown; error?: RegExp }[] = [
    { port: '/dev/ttyUSB2', kind: SerialTransport },
    { port: 'COM3', kind: SerialTransport },
    { port: 'tcp://127.0.0.1:4001', kind: TcpTransport },
    { port: 'sim:ec20', error: /emulated modem/ },
    { port: 'http://x:1', error: /unsupported port scheme/ },
    { port: '', error: /no modem port configured/ },
  ];
  for (const c of CASES) {
    it(JSON.stringify(c.port), () => {
      if (c.error) assert.throws(() => createTransport(c.port), (e: unknown) => e instanceof TransportError && c.error!.test(e.message));
      else assert.ok(createTransport(c.port, { baudRate: 9600 }) instanceof (c.kind as new (...a: never[]) => unknown));
    });
  }
  it('passes the baud rate to serial ports (default 115200)', () => {
    assert.equal((createTransport('/dev/ttyUSB0') as SerialTransport).baudRate, 115200);
    assert.equal((createTransport('/dev/ttyUSB0', { baudRate: 9600 }) as SerialTransport).baudRate, 9600);
  });
});

describe('listSerialPorts', () => {
  let dev: string;
  before(() => {
    dev = mkdtempSync(path.join(os.tmpdir(), 'iotda-dev-'));
    mkdirSync(path.join(dev, 'serial', 'by-id'), { recursive: true });
    for (const n of ['ttyUSB10', 'ttyUSB2', 'ttyACM0', 'ttyS1', 'ttyS0', 'null', 'ttyUSBx', 'tty1']) writeFileSync(path.join(dev, n), '');
    writeFileSync(path.join(dev, 'serial', 'by-id', 'usb-Quectel_EC20-if02-port0'), '');
  });
  after(() => rmSync(dev, { recursive: true, force: true }));

  it('falls back to a device scan, by-id first, when SerialPort.list fails', async () => {
    const ports = await listSerialPorts({ devDir: dev, list: () => Promise.reject(new Error('udevadm: not found')) });
    assert.deepEqual(
      ports.map((p) => path.relative(dev, p.path)),
      ['serial/by-id/usb-Quectel_EC20-if02-port0', 'ttyUSB2', 'ttyUSB10', 'ttyACM0', 'ttyS0', 'ttyS1'],
    );
  });

  it('falls back when SerialPort.list finds nothing', async () => {
    const ports = await listSerialPorts({ devDir: dev, list: async () => [] });
    assert.equal(ports.length, 6);
  });

  it('uses SerialPort.list when it answers, keeping the useful fields', async () => {
    const ports = await listSerialPorts({
      devDir: dev,
      list: async () => [{ path: '/dev/ttyUSB2', manufacturer: 'Quectel', serialNumber: '123', pnpId: 'usb-Quectel', vendorId: '2c7c' } as never],
    });
    assert.deepEqual(ports, [{ path: '/dev/ttyUSB2', manufacturer: 'Quectel', serialNumber: '123', pnpId: 'usb-Quectel' }]);
  });

  it('runs against the real system without throwing', async () => {
    const ports = await listSerialPorts();
    assert.ok(Array.isArray(ports));
  });
});
