import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startIotdaEmulator, type IotdaEmulator, type EmulatorEvent } from '../../dist/sim/iotda';
import { simPortOf } from '../../dist/nodes/modem-port';
import { DEMO_DEVICE, DEMO_SECRET, DEMO_WIFI_PASSWORD, exampleFiles, idByName, idsOfType, prepareExample, type FlowNode, type PreparedExample } from './example-flow';
import { emulatorEvent, nodeInput, online, recordInputs } from './flow-events';

// Every file in examples/ is imported as shipped into the real Node-RED runtime (test helper,
// real core nodes), deployed against the IoTDA emulator with its sim: modem, and made to do
// what its read-me comment promises. Only the MQTT port and the credentials differ from an
// import by a user.

import { helper } from '../nr5/node-red-under-test';

interface Ctx {
  ex: PreparedExample;
  emu: IotdaEmulator;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  node: (id: string) => any;
}

/** A flow context value as plain data: function nodes run in their own vm realm. */
function flowContext(c: Ctx, functionName: string, key: string): unknown {
  const value: unknown = c.node(idByName(c.ex, 'function', functionName)).context().flow.get(key);
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

// ---- what the examples promise -------------------------------------------------------------

const SENSOR_RANGES: Record<string, [number, number]> = {
  temperature: [18, 30],
  humidity: [35, 75],
  smoke: [100, 400],
  water: [0, 1],
  flame: [0, 1],
  light: [0, 1000],
};

function stm32Properties(e: EmulatorEvent): Record<string, unknown> | undefined {
  const services = e.services as { service_id: string; properties: Record<string, unknown> }[];
  return services?.find((s) => s.service_id === 'stm32')?.properties;
}

/** The sensor fields, each a number in the range the example's function documents. */
function assertSensorReadings(props: Record<string, unknown> | undefined): void {
  assert.ok(props, 'a report for the service stm32');
  for (const [field, [lo, hi]] of Object.entries(SENSOR_RANGES)) {
    const v: unknown = props[field];
    assert.equal(typeof v, 'number', `${field} is a number (${JSON.stringify(props)})`);
    assert.ok((v as number) >= lo && (v as number) <= hi, `${field} = ${String(v)} within ${lo}..${hi}`);
  }
}

/** Every at- node of the example shows the green dot: the modem confirmed MQTT and subscribed. */
async function allOnline(c: Ctx): Promise<void> {
  const ids = [...idsOfType(c.ex, 'at-publish'), ...idsOfType(c.ex, 'at-subscribe')];
  await Promise.all(ids.map((id) => online(c.node(id))));
}

/** Triggers the example's "every 5 s" inject now and awaits the report it causes. */
async function triggeredReport(c: Ctx, test: (props: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown>> {
  const inject = idByName(c.ex, 'inject', 'every 5 s');
  const reported = emulatorEvent(c.emu, 'report', (e) => e.deviceId === DEMO_DEVICE && !!stm32Properties(e) && test(stm32Properties(e)!));
  c.node(inject).receive({});
  return stm32Properties(await reported)!;
}

/** A message as the emulator console's "Send message" form sends it: the text the user typed. */
async function consoleMessage(c: Ctx, text: string): Promise<void> {
  const res = await fetch(`${c.emu.url}api/devices/${DEMO_DEVICE}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ content: text }),
  });
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { delivered: boolean }).delivered, true);
}

/** The sim: modem behind the example's modem-config, with what the driver wrote to it. */
function modemTranscript(c: Ctx): { model: string; host: string[]; modem: string[] } {
  const [modemId] = idsOfType(c.ex, 'modem-config');
  const sim = simPortOf(modemId);
  assert.ok(sim, `the example's modem ${modemId} runs on a sim: port`);
  const lines = (dir: 'in' | 'out') => sim.emulator.transcript.filter((t) => t.dir === dir).map((t) => t.bytes.toString('latin1'));
  return { model: sim.model, host: lines('in'), modem: lines('out') };
}

/** The per-model examples: the sensor report and a downlink message, over the example's own modem. */
function sameFlowOnModel(model: 'ec20' | 'bc26' | 'esp8266', publishCommand: RegExp, receiveUrc: RegExp) {
  return async (c: Ctx) => {
    await allOnline(c);
    const reportedDebug = nodeInput(c.node(idByName(c.ex, 'debug', 'reported')));
    const props = await triggeredReport(c);
    assertSensorReadings(props);
    const reported = await reportedDebug;
    assert.equal(reported.topic, `$oc/devices/${DEMO_DEVICE}/sys/properties/report`);

    const downlink = nodeInput(c.node(idByName(c.ex, 'debug', 'downlink message')));
    await consoleMessage(c, '{"LED1":1}');
    const msg = await downlink;
    assert.equal(msg.topic, `$oc/devices/${DEMO_DEVICE}/sys/messages/down`);
    assert.equal((msg.payload as { content: unknown }).content, '{"LED1":1}');

    // The traffic really went through the example's modem, in that model's AT dialect.
    const t = modemTranscript(c);
    assert.equal(t.model, model);
    const host = t.host.join('');
    assert.match(host, publishCommand, `${model} publish command`);
    assert.match(t.modem.join(''), receiveUrc, `${model} downlink URC`);
    return host;
  };
}

const EXPECTATIONS: Record<string, (c: Ctx) => Promise<unknown>> = {
  'Report sensor readings as properties (simulated EC20).json': async (c) => {
    await allOnline(c);
    const reportedDebug = nodeInput(c.node(idByName(c.ex, 'debug', 'reported')));
    const props = await triggeredReport(c);
    assertSensorReadings(props);
    assert.deepEqual(Object.keys(props).sort(), Object.keys(SENSOR_RANGES).sort(), 'exactly the documented fields');
    // The debug node shows each report once the modem has confirmed it.
    const shown = await reportedDebug;
    assert.equal(shown.topic, `$oc/devices/${DEMO_DEVICE}/sys/properties/report`);
    assert.equal(typeof shown.messageId, 'number');
    // The emulator console shows the latest properties.
    assert.ok(c.emu.getDevice(DEMO_DEVICE)?.properties.stm32, 'the device view has stm32 properties');
  },

  'Switch LEDs from downlink messages (simulated EC20).json': async (c) => {
    await allOnline(c);
    const led = (n: 1 | 2 | 3) => c.node(idsOfType(c.ex, 'debug', (d) => String(d.name).startsWith(`LED${n} `))[0]);
    const seen = [1, 2, 3].map((n) => recordInputs(led(n as 1 | 2 | 3)));

    const led1 = nodeInput(led(1));
    await consoleMessage(c, '{"LED1":1}');
    assert.equal((await led1).payload.LED1, 1);

    const led3 = nodeInput(led(3));
    const led2 = nodeInput(led(2));
    await consoleMessage(c, '{"LED2":0,"LED3":1}');
    assert.equal((await led2).payload.LED2, 0);
    assert.equal((await led3).payload.LED3, 1);

    // An application that sends a JSON object as the content (the IoTDA API) reaches the LEDs too.
    const led1Off = nodeInput(led(1));
    assert.equal(c.emu.sendMessage(DEMO_DEVICE, { LED1: 0 }).delivered, true);
    assert.equal((await led1Off).payload.LED1, 0);
    for (const s of seen) s.stop();
    // Each LED output got exactly the messages that named it.
    assert.deepEqual(seen.map((s) => s.list.length), [2, 1, 1]);
  },

  'Demo - answer LED commands and report sensors (simulated EC20).json': async (c) => {
    await allOnline(c);
    const received = nodeInput(c.node(idByName(c.ex, 'debug', 'command received')));
    const answered = nodeInput(c.node(idByName(c.ex, 'debug', 'answer sent')));
    const result = await c.emu.sendCommand(DEMO_DEVICE, { service_id: 'stm32', command_name: 'LED', paras: { LED1: 1 } });
    assert.equal(result.status, 'ok');
    const response = result.response as { result_code: number; paras: Record<string, unknown> };
    assert.equal(response.result_code, 0);
    assert.deepEqual(response.paras, { result: 'success', LED1: 1, LED2: 0, LED3: 0 });
    assert.deepEqual((await received).command, { service_id: 'stm32', command_name: 'LED', paras: { LED1: 1 } });
    const answer = await answered;
    assert.equal(answer.topic, `$oc/devices/${DEMO_DEVICE}/sys/commands/response/request_id=${result.requestId}`);
    assert.deepEqual(flowContext(c, 'set LEDs, answer', 'leds'), { LED1: 1, LED2: 0, LED3: 0 });

    // The sensor report includes the LED states, so the console shows the command's effect.
    const props = await triggeredReport(c, (p) => p.LED1 === 1);
    assertSensorReadings(props);
    assert.equal(props.LED2, 0);
    assert.equal(props.LED3, 0);

    // A command without an LED is answered, with result_code 1.
    const none = await c.emu.sendCommand(DEMO_DEVICE, { service_id: 'stm32', command_name: 'LED', paras: { LED9: 1 } });
    assert.equal(none.status, 'ok');
    assert.equal((none.response as { result_code: number }).result_code, 1);
  },

  'Answer property set and get from flow context (simulated EC20).json': async (c) => {
    await allOnline(c);
    const setAnswered = nodeInput(c.node(idByName(c.ex, 'debug', 'set answered')));
    const set = await c.emu.setProperties(DEMO_DEVICE, [{ service_id: 'stm32', properties: { LED1: 1, interval: 10 } }]);
    assert.equal(set.status, 'ok');
    assert.deepEqual(set.response, { result_code: 0, result_desc: 'success' });
    assert.match((await setAnswered).topic, /\/sys\/properties\/set\/response\/request_id=/);
    assert.deepEqual(flowContext(c, 'store values', 'props'), { LED1: 1, LED2: 0, LED3: 0, interval: 10 });

    const getAnswered = nodeInput(c.node(idByName(c.ex, 'debug', 'get answered')));
    const get = await c.emu.getProperties(DEMO_DEVICE, 'stm32');
    assert.equal(get.status, 'ok');
    assert.deepEqual((get.response as { services: unknown[] }).services, [
      { service_id: 'stm32', properties: { LED1: 1, LED2: 0, LED3: 0, interval: 10 } },
    ]);
    assert.match((await getAnswered).topic, /\/sys\/properties\/get\/response\/request_id=/);
  },

  // EC20 publishes in the fixed-length form, BC26 in the Ctrl-Z form, ESP-AT with MQTTPUBRAW;
  // the examples report at QoS 0 (message id 0 on Quectel).
  'Same flow on each model - EC20 (simulated).json': sameFlowOnModel('ec20', /AT\+QMTPUB=0,0,0,0,"\$oc\/devices\/demo_product_dev01\/sys\/properties\/report",\d+\r/, /\+QMTRECV: 0,/),
  'Same flow on each model - BC26 (simulated).json': sameFlowOnModel('bc26', /AT\+QMTPUB=0,0,0,0,"\$oc\/devices\/demo_product_dev01\/sys\/properties\/report"\r[^]*\x1a/, /\+QMTRECV: 0,/),
  'Same flow on each model - ESP8266 (simulated).json': async (c) => {
    const host = (await sameFlowOnModel('esp8266', /AT\+MQTTPUBRAW=0,"\$oc\/devices\/demo_product_dev01\/sys\/properties\/report",\d+,0,0\r/, /\+MQTTSUBRECV:0,/)(c)) as string;
    // The modem joined the example's network with the password typed in after the import.
    assert.ok(host.includes(`AT+CWJAP="iotda-demo","${DEMO_WIFI_PASSWORD}"`), 'joined iotda-demo');
  },
};

// ---- the runs ------------------------------------------------------------------------------

const files = exampleFiles();
// .ci/run's Node-RED 5 run deploys one example (IOTDA_TEST_EXAMPLE: part of its file name).
const ONLY = process.env.IOTDA_TEST_EXAMPLE;
const runFiles = ONLY ? files.filter((f) => f.includes(ONLY)) : files;

describe('example flows (examples/*.json) in Node-RED against the emulators', () => {
  let emu: IotdaEmulator | undefined;
  let loaded = false;

  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    if (loaded) await helper.unload();
    loaded = false;
    await emu?.close();
    emu = undefined;
  });

  it('finds the examples, and every example has an expectation here', () => {
    assert.ok(files.length >= 7, `found ${files.length} examples`);
    assert.deepEqual(files.filter((f) => !EXPECTATIONS[f]), [], 'examples without an expectation in test/examples/examples.test.ts');
    assert.deepEqual(Object.keys(EXPECTATIONS).filter((f) => !files.includes(f)), [], 'expectations for examples that no longer exist');
  });

  it('IOTDA_TEST_EXAMPLE, when set, names exactly one example', () => {
    if (ONLY) assert.equal(runFiles.length, 1, `IOTDA_TEST_EXAMPLE="${ONLY}" matches ${JSON.stringify(runFiles)}`);
  });

  for (const file of runFiles) {
    it(`${file}: loads, deploys and does what its comment says`, async () => {
      const expectation = EXPECTATIONS[file];
      assert.ok(expectation, `no expectation for the example ${file}`);
      emu = await startIotdaEmulator({
        host: '127.0.0.1',
        mqttPort: 0,
        httpPort: 0,
        devices: [{ deviceId: DEMO_DEVICE, secret: DEMO_SECRET, productId: 'demo_product', services: ['stm32'] }],
        log: () => undefined,
      });
      const ex = prepareExample(file, emu.mqttPort);
      const comments = idsOfType(ex, 'comment');
      assert.equal(comments.length, 1, 'one read-me comment');
      // Every example points at the emulator that `npm start` runs, with the demo device.
      for (const id of idsOfType(ex, 'mqtt-at-connect')) {
        const shipped = ex.nodes.get(id) as FlowNode;
        assert.equal(shipped.host, '127.0.0.1');
        assert.equal(shipped.deviceId, DEMO_DEVICE);
      }
      for (const id of idsOfType(ex, 'modem-config')) assert.match((ex.nodes.get(id) as FlowNode).port, /^sim:/);

      await helper.load(ex.modules, ex.flow, ex.credentials);
      loaded = true;
      await expectation({ ex, emu, node: (id) => helper.getNode(id) });
      assert.deepEqual(nodeErrors(), [], 'no node reported an error');
    });
  }
});

/** Errors logged by any node since helper.load (which spies on Node.prototype.error). */
function nodeErrors(): string[] {
  return helper._NodePrototype.error
    .getCalls()
    .map((c: { thisValue: { id: string }; args: unknown[] }) => `${c.thisValue.id}: ${String(c.args[0])}`);
}
