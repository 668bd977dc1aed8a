import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LinkSupervisor, type DownlinkMessage } from '../../dist/link/link-supervisor';
import { ModemSupervisor } from '../../dist/link/modem-supervisor';
import { createModemDriver } from '../../dist/modems/generic-driver';
import { createModemEmulator } from '../../dist/sim/modems';
import { startIotdaEmulator } from '../../dist/sim/iotda';
import { EVENT_DEADLINE_MS, within } from '../modems/event-deadline';
import { StreamTransport } from '../modems/stream-transport';

// Issue 11, fifth bullet: downlink de-dup keys only on the platform's request id (commands and
// property requests), tested against the IoTDA emulator's real resends of unacknowledged QoS 1
// downlinks (lost PUBACKs); plain messages are never de-duplicated.

const DEV = 'dedup_product_dev01';
const SECRET = 'dedup-secret-01';
// The platform's schedule, shortened: 3 resends 40 ms apart.
const TIMING = { intervalMs: 40, count: 3, roundIntervalMs: 300, rounds: 1 };

async function rig() {
  const emu = await startIotdaEmulator({ host: '127.0.0.1', mqttPort: 0, httpPort: 0, devices: [{ deviceId: DEV, secret: SECRET }], downlinkResend: TIMING, log: () => undefined });
  const modemEmu = createModemEmulator({ model: 'ec20', baudRate: 0, bootDelayMs: 0, resolveBroker: () => ({ host: '127.0.0.1', port: emu.mqttPort }) });
  const modem = new ModemSupervisor({ createDriver: () => createModemDriver(new StreamTransport(modemEmu.createHostStream(), 'sim:ec20'), 'ec20') });
  const link = new LinkSupervisor({ modem, host: '127.0.0.1', port: emu.mqttPort, deviceId: DEV, secret: SECRET, probeIntervalMs: 0 });
  const got: DownlinkMessage[] = [];
  link.on('message', (m: DownlinkMessage) => got.push(m));
  link.connect();
  await link.untilOnline();
  return {
    emu,
    modemEmu,
    link,
    got,
    async close() {
      await link.dispose();
      await modem.close();
      await modemEmu.close();
      await emu.close();
    },
  };
}

describe('downlink de-dup against real resends', () => {
  it('a resent command reaches the flow once and gets the same answer again', { timeout: EVENT_DEADLINE_MS * 2 }, async () => {
    const r = await rig();
    try {
      // The gateway's first two PUBACKs get lost: the platform sends the command again.
      r.emu.injectLostPubacks(DEV, 2);
      const result = r.emu.sendCommand(DEV, { service_id: 'relay', command_name: 'SWITCH', paras: { on: 1 } }, { timeoutMs: 10000 });
      await within(
        new Promise<void>((resolve) => {
          const t = setInterval(() => r.got.length > 0 && (clearInterval(t), resolve()), 10);
        }),
        'the command reaches the flow',
      );
      const cmd = r.got[0];
      assert.equal(cmd.kind, 'command');
      await r.link.publish(`$oc/devices/${DEV}/sys/commands/response/request_id=${cmd.requestId}`, Buffer.from('{"result_code":0}'), 1);
      assert.equal((await result).status, 'ok');
      // Let every resend of the schedule arrive.
      await within(
        new Promise<void>((resolve) => {
          const t = setInterval(() => r.emu.unacknowledgedDownlinks(DEV).length === 0 && (clearInterval(t), resolve()), 20);
        }),
        'no downlink left unacknowledged',
      );
      const deliveries = r.modemEmu.transcript.filter((t) => t.dir === 'out' && t.bytes.toString('latin1').includes('/sys/commands/request_id=')).length;
      assert.ok(deliveries >= 2, `the platform sent the command ${deliveries} time(s)`);
      assert.equal(r.got.filter((m) => m.kind === 'command').length, 1, 'the relay switched once');
    } finally {
      await r.close();
    }
  });

  it('two plain messages with the same "id" field are both delivered', { timeout: EVENT_DEADLINE_MS * 2 }, async () => {
    const r = await rig();
    try {
      r.emu.sendMessage(DEV, { id: 'led1', value: 1 }, { raw: true });
      r.emu.sendMessage(DEV, { id: 'led1', value: 0 }, { raw: true });
      await within(
        new Promise<void>((resolve) => {
          const t = setInterval(() => r.got.length >= 2 && (clearInterval(t), resolve()), 10);
        }),
        'both messages reach the flow',
      );
      assert.deepEqual(r.got.map((m) => JSON.parse(m.payload.toString())), [{ id: 'led1', value: 1 }, { id: 'led1', value: 0 }]);
    } finally {
      await r.close();
    }
  });
});
