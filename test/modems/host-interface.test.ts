/**
 * Issue 10 item 1: which interface of the module the host is on, from the port's USB ids
 * (serialport's list, sysfs, /dev/serial/by-id names), and the decision table
 * (docs/models/ec20.md, "URC port").
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decideHostInterface } from '../../dist/modems/host-interface';
import { identifyUsbPort } from '../../dist/transport/serial-port-list';
import { fakeSysfs } from './fake-sysfs';

const noUdev = async (): Promise<never> => {
  throw new Error('udevadm: not found');
};

describe('host interface decision', () => {
  const cases: [string, Parameters<typeof decideHostInterface>, 'usb' | 'uart' | undefined][] = [
    ['Quectel vendor id', ['auto', '/dev/ttyUSB2', { vendorId: '2c7c', productId: '0125', source: 's' }], 'usb'],
    ['EC20 under the Qualcomm ids', ['auto', '/dev/ttyUSB2', { vendorId: '05c6', productId: '9215', source: 's' }], 'usb'],
    ['another Qualcomm product is not the module', ['auto', '/dev/ttyUSB0', { vendorId: '05c6', productId: '9001', source: 's' }], undefined],
    ['FTDI bridge', ['auto', '/dev/ttyUSB0', { vendorId: '0403', productId: '6001', source: 's' }], 'uart'],
    ['CP210x bridge', ['auto', '/dev/ttyUSB0', { vendorId: '10c4', productId: 'ea60', source: 's' }], 'uart'],
    ['CH340 bridge', ['auto', '/dev/ttyUSB0', { vendorId: '1a86', productId: '7523', source: 's' }], 'uart'],
    ['PL2303 bridge', ['auto', '/dev/ttyUSB0', { vendorId: '067b', productId: '2303', source: 's' }], 'uart'],
    ['serial device server', ['auto', 'tcp://10.0.0.5:4001', undefined], 'uart'],
    ['ids unknown: leave the module alone', ['auto', '/dev/ttyS0', undefined], undefined],
    ['set to usb', ['usb', '/dev/ttyS0', undefined], 'usb'],
    ['set to uart overrides Quectel ids', ['uart', '/dev/ttyUSB2', { vendorId: '2c7c', source: 's' }], 'uart'],
  ];
  for (const [why, args, expected] of cases) {
    it(`${why} -> ${expected ?? 'unknown'}`, () => {
      const d = decideHostInterface(...args);
      assert.equal(d.hostInterface, expected);
      assert.ok(d.reason.length > 0);
    });
  }
});

describe('USB ids of a serial port', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'iotda-ids-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('from serialport\'s list (udev) when it knows the path', async () => {
    const ids = await identifyUsbPort('/dev/ttyUSB2', { list: async () => [{ path: '/dev/ttyUSB2', vendorId: '2C7C', productId: '0125' }], sysDir: dir });
    assert.deepEqual(ids, { vendorId: '2c7c', productId: '0125', source: 'serialport list (udev)' });
  });

  it('from sysfs when udevadm is missing', async () => {
    const sys = path.join(dir, 'sys1');
    fakeSysfs(sys, 'ttyUSB2', '2c7c', '0125');
    const ids = await identifyUsbPort('/dev/ttyUSB2', { list: noUdev, sysDir: sys, devDir: path.join(dir, 'nodev') });
    assert.equal(ids?.vendorId, '2c7c');
    assert.equal(ids?.productId, '0125');
    assert.match(ids!.source, /^sysfs /);
  });

  it('from a /dev/serial/by-id name when neither udev nor sysfs tell', async () => {
    const dev = path.join(dir, 'dev');
    mkdirSync(path.join(dev, 'serial', 'by-id'), { recursive: true });
    writeFileSync(path.join(dev, 'ttyUSB0'), '');
    const link = path.join(dev, 'serial', 'by-id', 'usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0');
    symlinkSync(path.join(dev, 'ttyUSB0'), link);
    const noSys = path.join(dir, 'nosys');
    // The by-id path itself, and the node it points to.
    assert.equal((await identifyUsbPort(link, { list: noUdev, sysDir: noSys, devDir: dev }))?.vendorId, '0403');
    assert.equal((await identifyUsbPort(path.join(dev, 'ttyUSB0'), { list: noUdev, sysDir: noSys, devDir: dev }))?.vendorId, '0403');
  });

  it('undefined when nothing tells (a built-in UART)', async () => {
    assert.equal(await identifyUsbPort('/dev/ttyS0', { list: async () => [], sysDir: path.join(dir, 'nosys'), devDir: path.join(dir, 'nodev') }), undefined);
  });
});
