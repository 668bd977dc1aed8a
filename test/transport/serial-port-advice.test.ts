/** The port picker's list and the advice a timeout on a real serial port carries. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serialTimeoutAdvice } from '../../dist/transport/serial-port-list';
import { portsForEditor } from '../../dist/nodes/ports-endpoint';

describe('serial port advice and the editor port list', () => {
  it('a timeout on a real serial port suggests baud rate, the AT interface, another program and power, in English and Chinese', () => {
    const en = serialTimeoutAdvice('/dev/ttyUSB2', 'en-US')!;
    for (const re of [/\/dev\/ttyUSB2/, /baud rate/, /multi-port USB modem .*AT interface/, /other program holds the port/, /powered/]) assert.match(en, re);
    const zh = serialTimeoutAdvice('COM3', 'zh-CN')!;
    for (const re of [/COM3/, /波特率/, /AT 接口/, /其他程序占用/, /上电/]) assert.match(zh, re);
  });

  it('gives no serial advice for emulator and network ports', () => {
    assert.equal(serialTimeoutAdvice('sim:ec20'), undefined);
    assert.equal(serialTimeoutAdvice('tcp://127.0.0.1:7000'), undefined);
  });

  it('lists each port once, emulators marked by model and without catalog keys as labels', async () => {
    const ports = await portsForEditor(async () => [
      { path: '/dev/ttyS0' },
      { path: '/dev/ttyS0' },
      { path: 'sim:ec20', sim: true, label: 'modem-config.sim.ec20' } as { path: string; sim: boolean },
      { path: 'sim:bc26', sim: true },
    ]);
    assert.deepEqual(ports, [
      { path: '/dev/ttyS0' },
      { path: 'sim:ec20', sim: true, model: 'ec20' },
      { path: 'sim:bc26', sim: true, model: 'bc26' },
    ]);
  });
});
