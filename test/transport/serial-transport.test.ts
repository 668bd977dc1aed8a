/**
 * SerialTransport on the real serialport stream API: the mock binding (injected), and a real
 * pty pair made by socat (started here, killed after), with an AtChannel on top.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockBinding, type MockPortBinding } from '@serialport/binding-mock';
import { SerialPort } from 'serialport';
import { AtChannel } from '../../dist/at/channel';
import { quectelDialect } from '../../dist/at/dialects';
import { SerialTransport, TransportError, describeSerialOpenError } from '../../dist/transport/index';
import { startSocat } from './socat';

/** The mock binding, remembering each opened port so a test can pull the plug. */
function trackingBinding(): { binding: typeof MockBinding; ports: MockPortBinding[] } {
  const ports: MockPortBinding[] = [];
  const binding = {
    ...MockBinding,
    async open(opts: Parameters<typeof MockBinding.open>[0]) {
      const p = await MockBinding.open(opts);
      ports.push(p);
      return p;
    },
  } as typeof MockBinding;
  return { binding, ports };
}

describe('SerialTransport with @serialport/binding-mock', () => {
  after(() => MockBinding.reset());

  it('opens, writes, receives and closes without a reason', async () => {
    MockBinding.createPort('/dev/ttyMOCK0', { record: true });
    const { binding, ports } = trackingBinding();
    const t = new SerialTransport({ path: '/dev/ttyMOCK0', baudRate: 115200, binding });
    await t.open();
    assert.equal(t.isOpen, true);
    await t.write(Buffer.from('AT\r'));
    assert.equal(ports[0].recording.toString(), 'AT\r');
    const data = once(t, 'data');
    ports[0].emitData('\r\nOK\r\n');
    assert.equal(((await data)[0] as Buffer).toString(), '\r\nOK\r\n');
    const closed = once(t, 'close');
    await t.close();
    assert.deepEqual(await closed, [undefined]);
    assert.equal(t.isOpen, false);
  });

  it('an unplugged port (I/O error) is reported as close(reason) and fails the channel', async () => {
    MockBinding.createPort('/dev/ttyMOCK1');
    const { binding, ports } = trackingBinding();
    const t = new SerialTransport({ path: '/dev/ttyMOCK1', baudRate: 115200, binding });
    await t.open();
    const channel = new AtChannel(t, { dialect: quectelDialect });
    const channelClosed = once(channel, 'close');
    const closed = once(t, 'close');
    ports[0].write = () => Promise.reject(new Error('EIO: input/output error (device unplugged)'));
    const cmd = channel.command({ template: 'AT+CSQ' }).then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e as Error,
    );
    const [reason] = await closed;
    assert.ok(reason instanceof Error);
    assert.match(reason.message, /ttyMOCK1/);
    assert.match(reason.message, /EIO/);
    assert.equal((await cmd).name, 'AtClosedError');
    await channelClosed;
  });

  it('a device node that disappears (USB unplug) closes the port with a reason saying so', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'iotda-node-'));
    const node = path.join(dir, 'ttyUSB9');
    writeFileSync(node, '');
    try {
      MockBinding.createPort(node);
      const { binding, ports } = trackingBinding();
      const t = new SerialTransport({ path: node, baudRate: 115200, binding, presenceCheckMs: 10 });
      await t.open();
      const closed = once(t, 'close');
      // The node existed at open, so the presence check watches it; pull it.
      unlinkSync(node);
      // The presence timer is unref'd (a real port's poller keeps the loop alive; the mock has
      // none), so a bounded safety timer holds the loop while we wait.
      let safety: NodeJS.Timeout | undefined;
      const [reason] = await Promise.race([
        closed,
        new Promise<never>((_, reject) => (safety = setTimeout(() => reject(new Error('no close within 2 s')), 2000))),
      ]);
      clearTimeout(safety);
      assert.match((reason as Error).message, /ttyUSB9 disappeared: the modem was unplugged/);
      // The binding's descriptor is released, not only the stream: a hung-up tty reads 0 bytes
      // at once, and serialport's read loop on a descriptor left open spins a core for ever.
      assert.equal(ports[0].isOpen, false, 'the port binding is closed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an open error names the port', async () => {
    const t = new SerialTransport({ path: '/dev/ttyMOCK-missing', baudRate: 115200, binding: MockBinding });
    await assert.rejects(t.open(), (e: unknown) => e instanceof TransportError && e.message.includes('/dev/ttyMOCK-missing'));
  });

  it('a missing device on the real binding tells the user to check the modem', async () => {
    const t = new SerialTransport({ path: '/dev/ttyUSB-does-not-exist', baudRate: 115200 });
    await assert.rejects(t.open(), (e: unknown) => e instanceof TransportError && /no such device/.test(e.message) && e.message.includes('/dev/ttyUSB-does-not-exist'));
  });

  const OPEN_ERRORS: { err: NodeJS.ErrnoException; expect: RegExp[] }[] = [
    { err: Object.assign(new Error('Error: Permission denied, cannot open /dev/ttyUSB2'), { code: 'EACCES' }), expect: [/dialout/, /--device=\/dev\/ttyUSB2/, /EACCES/] },
    { err: new Error('Error: Resource busy, cannot lock port'), expect: [/in use by another program/] },
    { err: Object.assign(new Error('No such file or directory'), { code: 'ENOENT' }), expect: [/plugged in/] },
    { err: new Error('something odd'), expect: [/something odd/] },
  ];
  for (const c of OPEN_ERRORS) {
    it(`open error message: ${c.err.message}`, () => {
      const text = describeSerialOpenError('/dev/ttyUSB2', c.err);
      assert.match(text, /\/dev\/ttyUSB2/);
      for (const re of c.expect) assert.match(text, re);
    });
  }
});

/** Starts socat with two linked ptys; resolves once both links exist. */
async function startPtyPair(dir: string): Promise<{ proc: ChildProcess; a: string; b: string }> {
  const a = path.join(dir, 'x0');
  const b = path.join(dir, 'x1');
  const proc = await startSocat(`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`);
  return { proc, a, b };
}

describe('SerialTransport on a socat pty pair', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'iotda-pty-'));
  let socat: ChildProcess | undefined;
  let modem: SerialPort | undefined;

  after(async () => {
    if (modem && !modem.destroyed) modem.destroy();
    if (socat && socat.exitCode === null) {
      socat.kill();
      await once(socat, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs an AT exchange through a real tty, then reports the pty vanishing as close(reason)', async (t) => {
    try {
      const s = await startPtyPair(dir);
      socat = s.proc;
      const transport = new SerialTransport({ path: s.a, baudRate: 115200, presenceCheckMs: 50 });
      await transport.open();
      modem = new SerialPort({ path: s.b, baudRate: 115200 });
      await once(modem, 'open');
      modem.on('data', (d: Buffer) => {
        if (d.toString().includes('AT+CSQ\r')) modem!.write('\r\n+CSQ: 21,99\r\n\r\nOK\r\n');
      });
      const channel = new AtChannel(transport, { dialect: quectelDialect });
      const r = await channel.command({ template: 'AT+CSQ', responsePrefixes: ['+CSQ:'] });
      assert.deepEqual(r.lines, ['+CSQ: 21,99']);

      // Close the modem side first: a SerialPort whose pty vanishes leaves a libuv request
      // pending forever, which would keep the test process alive.
      const modemClosed = once(modem, 'close');
      modem.destroy();
      await modemClosed;
      const closed = once(transport, 'close');
      socat.kill();
      const [reason] = await closed;
      assert.ok(reason instanceof Error, 'loss of the tty carries a reason');
      assert.ok(reason.message.includes(s.a), reason.message);
      assert.equal(transport.isOpen, false);
      await channel.close();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') t.skip('socat is not installed');
      else throw err;
    }
  });
});
