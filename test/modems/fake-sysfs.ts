/** A fake sysfs tree for the USB id lookup of serial ports (src/transport/serial-port-list.ts). */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A sysfs tree as Linux lays it out for a USB serial port: class/tty/<name>/device -> the port under its USB interface. */
export function fakeSysfs(root: string, name: string, vendor: string, product: string): void {
  const usbDevice = path.join(root, 'devices', 'pci0000:00', 'usb1', '1-1');
  const port = path.join(usbDevice, '1-1:1.2', name);
  mkdirSync(port, { recursive: true });
  writeFileSync(path.join(usbDevice, 'idVendor'), `${vendor}\n`);
  writeFileSync(path.join(usbDevice, 'idProduct'), `${product}\n`);
  mkdirSync(path.join(root, 'class', 'tty', name), { recursive: true });
  symlinkSync(port, path.join(root, 'class', 'tty', name, 'device'));
}
