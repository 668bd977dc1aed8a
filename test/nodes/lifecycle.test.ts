import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IotdaEmulator, EmulatorEvent } from '../../dist/sim/iotda';
import { simPortOf } from '../../dist/nodes/modem-port';
import { DEVICE, baseCreds, baseFlow, catchNode, helper, iotdaAt, isOnline, lastStatus, nextInput, statusWhere, statusesOf, useNodeRig, type FlowNode } from './flow-rig';
import { within } from '../modems/event-deadline';

// Config sharing, credentials, invalid configs, Catch, close during connect, redeploys and the
// offline queue, through the emulated EC20 and the IoTDA emulator.

function events(emu: IotdaEmulator, type: string): { list: EmulatorEvent[]; off: () => void } {
  const list: EmulatorEvent[] = [];
  const off = emu.onEvent((e) => {
    if (e.type === type) list.push(e);
  });
  return { list, off };
}

const publisher = (id: string, wires: string[] = []): FlowNode => ({
  id,
  type: 'at-publish',
  z: 'f1',
  connection: 'c1',
  kind: 'property',
  serviceId: 'env',
  qos: 1,
  queueSize: 1000,
  wires: [wires],
});

describe('node lifecycle over an emulated EC20', () => {
  const rig = useNodeRig();

  it('shares one modem and one session between two publishers', async () => {
    const online = events(rig.emu, 'online');
    const flow = [...baseFlow('ec20', rig.emu.mqttPort), publisher('p1', ['o1']), publisher('p2', ['o2']), { id: 'o1', type: 'helper', z: 'f1' }, { id: 'o2', type: 'helper', z: 'f1' }];
    await helper.load([iotdaAt], flow, baseCreds('ec20'));
    await Promise.all([statusWhere(helper.getNode('p1'), isOnline, 30000), statusWhere(helper.getNode('p2'), isOnline, 30000)]);
    const a = nextInput(helper.getNode('o1'));
    const b = nextInput(helper.getNode('o2'));
    helper.getNode('p1').receive({ payload: { a: 1 } });
    helper.getNode('p2').receive({ payload: { b: 2 } });
    await Promise.all([a, b]);
    online.off();
    assert.equal(online.list.length, 1, 'one MQTT session for both publishers');
    const opens = simPortOf('m1')!.emulator.transcript.filter((t) => t.dir === 'in' && t.bytes.toString().startsWith('AT+QMTOPEN')).length;
    assert.equal(opens, 1);
    assert.deepEqual(rig.emu.getDevice(DEVICE)?.properties.env?.properties, { a: 1, b: 2 });
  });

  it('refuses a wrong secret with CONNACK 4 and says so in the status, without retrying', async () => {
    const refused = events(rig.emu, 'connect-refused');
    const flow = [...baseFlow('ec20', rig.emu.mqttPort), publisher('p1')];
    await helper.load([iotdaAt], flow, { c1: { secret: 'wrong-secret' }, m1: {} });
    const s = await statusWhere(helper.getNode('p1'), (x) => x.fill === 'red', 30000);
    assert.equal(s.text, 'iotda-at.errors.authFailed', 'the first failure shown is the refusal, not the socket close after it');
    refused.off();
    assert.equal(refused.list.length, 1);
  });

  it('rejects invalid configs with a clear status: bad device id, missing secret, a second modem on one port', async () => {
    const flow: FlowNode[] = [
      ...baseFlow('ec20', rig.emu.mqttPort, { deviceId: 'bad id!' }),
      publisher('p1'),
      { id: 'm2', type: 'modem-config', port: 'sim:ec20', model: 'ec20' },
      { id: 'c2', type: 'mqtt-at-connect', modem: 'm2', host: '127.0.0.1', port: rig.emu.mqttPort, deviceId: DEVICE, keepalive: 120 },
      { id: 'p2', type: 'at-publish', z: 'f1', connection: 'c2', kind: 'property', serviceId: 'env', wires: [] },
      { id: 'c3', type: 'mqtt-at-connect', modem: 'm1', host: '127.0.0.1', port: rig.emu.mqttPort, deviceId: DEVICE, keepalive: 5 },
      { id: 'p3', type: 'at-publish', z: 'f1', connection: 'c3', kind: 'property', serviceId: 'env', wires: [] },
    ];
    await helper.load([iotdaAt], flow, { c1: { secret: 'x' }, c2: { secret: 'x' }, c3: { secret: 'x' } });
    assert.match(lastStatus(helper.getNode('p1')).text, /^iotda-at\.errors\.invalidDeviceId/);
    assert.equal(lastStatus(helper.getNode('p1')).fill, 'red');
    assert.match(lastStatus(helper.getNode('p2')).text, /^iotda-at\.errors\.portInUse/);
    assert.match(lastStatus(helper.getNode('p3')).text, /^iotda-at\.errors\.invalidKeepalive/);
  });

  // Each broker setting has its own catalog key, so the status reads right in every language.
  const badBroker: [string, Partial<FlowNode>, RegExp][] = [
    ['host with a path', { host: 'iot.example.com/mqtt' }, /^iotda-at\.errors\.invalidHost/],
    ['empty host', { host: '  ' }, /^iotda-at\.errors\.invalidHost/],
    ['port 0', { port: 0 }, /^iotda-at\.errors\.invalidBrokerPort/],
    ['port 70000', { port: 70000 }, /^iotda-at\.errors\.invalidBrokerPort/],
    ['sign type 2 (SM3)', { signType: 2 }, /^iotda-at\.errors\.invalidSignType/],
  ];
  for (const [name, conn, key] of badBroker) {
    it(`rejects a broker config with a dedicated key: ${name}`, async () => {
      await helper.load([iotdaAt], [...baseFlow('ec20', rig.emu.mqttPort, conn), publisher('p1')], baseCreds('ec20'));
      const status = lastStatus(helper.getNode('p1'));
      assert.match(status.text, key);
      assert.equal(status.fill, 'red');
    });
  }

  it('reports a missing secret', async () => {
    await helper.load([iotdaAt], [...baseFlow('ec20', rig.emu.mqttPort), publisher('p1')], {});
    assert.match(lastStatus(helper.getNode('p1')).text, /^iotda-at\.errors\.missingSecret/);
  });

  it('sends publish errors to a Catch node through done(err)', async () => {
    const flow = [
      ...baseFlow('ec20', rig.emu.mqttPort),
      publisher('p1'),
      { id: 'resp', type: 'at-publish', z: 'f1', connection: 'c1', kind: 'command-response', qos: 0, wires: [] },
      { id: 'catcher', type: 'catch', z: 'f1', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'f1' },
    ];
    await helper.load([iotdaAt, catchNode], flow, baseCreds('ec20'));
    const caught = helper.getNode('caught');
    let got = nextInput(caught);
    helper.getNode('p1').receive({ payload: 'not an object' });
    let msg = await got;
    assert.match(msg.error.message, /iotda-at\.errors\.invalidPayload/);
    assert.equal(msg.error.source.id, 'p1');
    got = nextInput(caught);
    helper.getNode('resp').receive({ payload: { result_code: 0 } });
    msg = await got;
    assert.match(msg.error.message, /iotda-at\.errors\.missingRequestId/);
  });

  it('closes promptly during connect and frees the port for the next deploy', async () => {
    const flow = [...baseFlow('ec20', rig.emu.mqttPort), publisher('p1')];
    await helper.load([iotdaAt], flow, baseCreds('ec20'));
    await statusWhere(helper.getNode('p1'), (s) => s.fill === 'yellow');
    const t0 = Date.now();
    await helper.unload();
    assert.ok(Date.now() - t0 < 15000, 'close finished within the Node-RED close timeout');
    assert.equal(simPortOf('m1'), undefined, 'the emulated port was released');
    await helper.load([iotdaAt], flow, baseCreds('ec20'));
    await statusWhere(helper.getNode('p1'), isOnline, 30000);
  });

  for (const type of ['nodes', 'flows', 'full'] as const) {
    it(`redeploys (${type}) without leaking a port or a session`, async () => {
      const flow = [...baseFlow('ec20', rig.emu.mqttPort), publisher('p1', ['o1']), { id: 'o1', type: 'helper', z: 'f1' }];
      await helper.load([iotdaAt], flow, baseCreds('ec20'));
      await statusWhere(helper.getNode('p1'), isOnline, 30000);
      // Change only the publisher: on a 'nodes' deploy the connection keeps running (node-red#3927).
      const changed = flow.map((n) => (n.id === 'p1' ? { ...n, serviceId: 'env2' } : n));
      const kicked = events(rig.emu, 'kicked');
      const online = events(rig.emu, 'online');
      await helper.setFlows(changed, type, baseCreds('ec20'));
      const p1 = helper.getNode('p1');
      await statusWhere(p1, isOnline, 30000);
      const out = nextInput(helper.getNode('o1'));
      p1.receive({ payload: { v: type } });
      await out;
      assert.deepEqual(rig.emu.getDevice(DEVICE)?.properties.env2?.properties, { v: type });
      assert.equal(rig.emu.getDevice(DEVICE)?.online, true);
      kicked.off();
      online.off();
      // A leaked session would be kicked by the new one (the newest connection wins).
      assert.equal(kicked.list.length, 0);
      // 'nodes' and 'flows' restart the tab, not the global config nodes: the session stays up (node-red#3927).
      assert.equal(online.list.length, type === 'full' ? 1 : 0);
    });
  }

  for (const fault of ['reboot', 'closePort'] as const) {
    it(`re-initialises the modem after a ${fault === 'reboot' ? 'modem reboot' : 'port loss'} and comes back online`, async () => {
      helper.settings({ mqttAtConnectReconnectTime: 200 });
      const flow = [...baseFlow('ec20', rig.emu.mqttPort), publisher('p1', ['o1']), { id: 'o1', type: 'helper', z: 'f1' }];
      await helper.load([iotdaAt], flow, baseCreds('ec20'));
      const p1 = helper.getNode('p1');
      await statusWhere(p1, isOnline, 30000);
      const seen = statusesOf(p1).length;
      const sim = simPortOf('m1')!;
      const inits = () => sim.emulator.transcript.filter((t) => t.dir === 'in' && /^ATE0/.test(t.bytes.toString())).length;
      const before = inits();
      sim.emulator.faults[fault]();
      const after = (s: FlowNode) => statusesOf(p1).indexOf(s) >= seen;
      await statusWhere(p1, (s) => s.fill === 'yellow' && after(s));
      await statusWhere(p1, (s) => isOnline(s) && after(s), 30000);
      assert.ok(inits() > before, 'the modem was initialised again');
      const out = nextInput(helper.getNode('o1'));
      p1.receive({ payload: { back: fault } });
      await out;
      assert.deepEqual(rig.emu.getDevice(DEVICE)?.properties.env?.properties.back, fault);
    });
  }

  it('traces AT traffic with the device secret and the HMAC password hidden', async () => {
    const flow = [...baseFlow('ec20', rig.emu.mqttPort), publisher('p1')];
    flow[1] = { ...flow[1], trace: true };
    await helper.load([iotdaAt], flow, baseCreds('ec20'));
    await statusWhere(helper.getNode('p1'), isOnline, 30000);
    const m1 = helper.getNode('m1');
    const lines: string[] = m1.log.getCalls().filter((c: { thisValue: unknown }) => c.thisValue === m1).map((c: { args: unknown[] }) => String(c.args[0]));
    const conn = lines.find((l) => l.includes('AT+QMTCONN='));
    assert.ok(conn, `an AT+QMTCONN line is traced; saw ${lines.length} lines`);
    assert.match(conn!, /\*\*\*/);
    const sent = sim_qmtconn(simPortOf('m1')!.emulator.transcript);
    const password = /"([0-9a-f]{64})"/.exec(sent)?.[1];
    assert.ok(password, 'the modem received the HMAC password');
    for (const l of lines) {
      assert.ok(!l.includes('rig-secret-0001') && !l.includes(password!), `secret leaked in: ${l}`);
    }
  });

  it('lists serial ports and the emulators on the admin route', async () => {
    await helper.load([iotdaAt], [], {});
    const res = await helper.request().get('/iotda-at/ports').expect(200);
    const paths = (res.body as { path: string }[]).map((p) => p.path);
    assert.ok(['sim:ec20', 'sim:bc26', 'sim:esp8266'].every((p) => paths.includes(p)), paths.join(','));
  });

  it('queues publishes during a link drop and flushes them in order', async () => {
    helper.settings({ mqttAtConnectReconnectTime: 300 });
    const flow = [...baseFlow('ec20', rig.emu.mqttPort), publisher('p1', ['o1']), { id: 'o1', type: 'helper', z: 'f1' }];
    await helper.load([iotdaAt], flow, baseCreds('ec20'));
    const p1 = helper.getNode('p1');
    await statusWhere(p1, isOnline, 30000);
    const before = statusesOf(p1).length;
    simPortOf('m1')!.emulator.faults.dropLink(0);
    await statusWhere(p1, (s) => s.fill === 'red' && statusesOf(p1).indexOf(s) >= before);
    const reports = events(rig.emu, 'report');
    const outs: FlowNode[] = [];
    const all = new Promise<void>((resolve) =>
      helper.getNode('o1').on('input', (m: FlowNode) => {
        outs.push(m);
        if (outs.length === 3) resolve();
      }),
    );
    for (const n of [1, 2, 3]) p1.receive({ payload: { n } });
    await statusWhere(p1, (s) => s.fill === 'yellow' && s.shape === 'dot');
    await within(all, 'three outputs of the publish node after the reconnect');
    reports.off();
    assert.deepEqual(outs.map((m) => (m.payload as { n: number }).n), [1, 2, 3]);
    const order = reports.list.map((e) => ((e.services as { properties: { n: number } }[])[0].properties.n));
    assert.deepEqual(order, [1, 2, 3]);
  });
});

/** The AT+QMTCONN command as the emulated modem received it. */
function sim_qmtconn(transcript: { dir: string; bytes: Buffer }[]): string {
  return transcript.filter((t) => t.dir === 'in').map((t) => t.bytes.toString()).find((t) => t.startsWith('AT+QMTCONN=')) ?? '';
}
