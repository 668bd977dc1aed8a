/**
 * The emulator's HTTP API and console page, driven the way the page drives them
 * (relative `api/...` URLs), with a real MQTT.js device answering.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { startIotdaEmulator, type IotdaEmulator } from '../../dist/sim/iotda';
import { iotdaCredentials, IotdaTopics } from '../../dist/iotda';

describe('IoTDA emulator, HTTP API and console', () => {
  let emu: IotdaEmulator;
  let device: MqttClient | undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iotda-http-test-'));
  const devicesFile = path.join(dir, 'devices.json');

  before(async () => {
    fs.writeFileSync(devicesFile, JSON.stringify([{ deviceId: 'file_dev', secret: 'from-file' }]));
    emu = await startIotdaEmulator({ devicesFile, commandTimeoutMs: 5000 });
  });
  after(async () => {
    await device?.endAsync(true);
    await emu.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function api(p: string, body?: unknown): Promise<{ status: number; json: any }> {
    const init: RequestInit = body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    const res = await fetch(new URL(`api/${p}`, emu.url), init);
    return { status: res.status, json: await res.json() };
  }

  it('serves the console page that uses the relative API', async () => {
    const res = await fetch(emu.url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const html = await res.text();
    assert.match(html, /<title>IoTDA emulator console<\/title>/);
    for (const used of ["'api/' + path", "dev('commands')", "dev('messages')", "'api/events'"]) assert.ok(html.includes(used), used);
  });

  it('loads devices from the devices file and reports info', async () => {
    const list = await api('devices');
    assert.deepEqual(list.json.map((d: { deviceId: string; online: boolean }) => [d.deviceId, d.online]), [['file_dev', false]]);
    const info = await api('info');
    assert.equal(info.json.mqttPort, emu.mqttPort);
    assert.equal(info.json.tlsPort, null);
    assert.equal((await api('ca.pem')).status, 404);
  });

  it('adds a device (persisted to the file) and refuses a bad id', async () => {
    const added = await api('devices', { deviceId: 'web_dev', secret: 's3' });
    assert.equal(added.status, 201);
    assert.equal(added.json.deviceId, 'web_dev');
    const saved = JSON.parse(fs.readFileSync(devicesFile, 'utf8'));
    assert.deepEqual(saved.devices.map((d: { deviceId: string }) => d.deviceId), ['file_dev', 'web_dev']);
    const bad = await api('devices', { deviceId: 'bad id', secret: 'x' });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error, /only letters, digits/);
    assert.equal((await api('devices/nope')).status, 404);
    assert.equal((await api('devices/web_dev/commands', { paras: [1] })).status, 400);
  });

  it('adds a device with declared custom topics (persisted) and refuses a wildcard in one', async () => {
    const added = await api('devices', { deviceId: 'topic_dev', secret: 's4', customTopics: ['up', 'down/led'] });
    assert.equal(added.status, 201);
    assert.deepEqual(added.json.customTopics, ['up', 'down/led']);
    const saved = JSON.parse(fs.readFileSync(devicesFile, 'utf8'));
    assert.deepEqual(saved.devices.find((d: { deviceId: string }) => d.deviceId === 'topic_dev').customTopics, ['up', 'down/led']);
    const bad = await api('devices', { deviceId: 'topic_dev2', secret: 's5', customTopics: ['down/#'] });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error, /custom topic "down\/#"/);
  });

  it('drives a command, a message, property set and get through the API; SSE reports the events', async () => {
    const c = iotdaCredentials('web_dev', 's3');
    device = await mqtt.connectAsync(emu.mqttUrl, { clientId: c.clientId, username: c.username, password: c.password, keepalive: 60, reconnectPeriod: 0 });
    const got: string[] = [];
    device.on('message', (topic, payload) => {
      got.push(topic);
      const rid = topic.slice(topic.lastIndexOf('request_id=') + 11);
      if (topic.includes('/sys/commands/')) {
        device!.publish(IotdaTopics.commandResponse('web_dev', rid), JSON.stringify({ result_code: 0, paras: { led: JSON.parse(payload.toString()).paras.value } }));
      } else if (topic.includes('/properties/set/')) {
        device!.publish(IotdaTopics.propertiesSetResponse('web_dev', rid), '{"result_code":0}');
      } else if (topic.includes('/properties/get/')) {
        device!.publish(IotdaTopics.propertiesGetResponse('web_dev', rid), '{"services":[{"service_id":"Temp","properties":{"value":3}}]}');
      }
    });

    // Open the event stream the console uses and collect until a report arrives.
    const sse = await fetch(new URL('api/events', emu.url));
    assert.match(sse.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = sse.body!.getReader();
    const sawReport = (async () => {
      let text = '';
      while (!text.includes('event: report')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString('utf8');
      }
      await reader.cancel();
      return text;
    })();
    await device.publishAsync(IotdaTopics.propertiesReport('web_dev'), JSON.stringify({ services: [{ service_id: 'Temp', properties: { value: 25.5 } }] }), { qos: 1 });
    assert.match(await sawReport, /"deviceId":"web_dev"/);

    const one = await api('devices/web_dev');
    assert.equal(one.json.online, true);
    assert.deepEqual(one.json.properties.Temp.properties, { value: 25.5 });
    assert.ok(one.json.history.length >= 1);

    const cmd = await api('devices/web_dev/commands', { service_id: 'Switch', command_name: 'ON_OFF', paras: { value: 'ON' } });
    assert.equal(cmd.json.status, 'ok');
    assert.deepEqual(cmd.json.response, { result_code: 0, paras: { led: 'ON' } });
    const set = await api('devices/web_dev/properties/set', { services: [{ service_id: 'Switch', properties: { led: 1 } }] });
    assert.deepEqual([set.json.status, set.json.response], ['ok', { result_code: 0 }]);
    const get = await api('devices/web_dev/properties/get', { service_id: 'Temp' });
    assert.equal(get.json.response.services[0].properties.value, 3);
    const down = new Promise<string>((r) => device!.on('message', (t, p) => t === IotdaTopics.messagesDown('web_dev') && r(p.toString())));
    const msg = await api('devices/web_dev/messages', { content: 'hi' });
    assert.equal(msg.json.delivered, true);
    const shortTimeout = await api('devices/file_dev/commands', { paras: {} });
    assert.equal(shortTimeout.json.status, 'offline');
    assert.equal(JSON.parse(await down).content, 'hi');
    assert.equal(got.filter((t) => t.includes('/sys/commands/')).length, 1);
  });

  it('freezing a device drops its link and refuses the next login with CONNACK 5', async () => {
    const closed = new Promise<void>((r) => device!.once('close', () => r()));
    const frozen = await api('devices/web_dev/freeze', { frozen: true });
    assert.equal(frozen.json.frozen, true);
    await closed;
    const c = iotdaCredentials('web_dev', 's3');
    await assert.rejects(
      mqtt.connectAsync(emu.mqttUrl, { clientId: c.clientId, username: c.username, password: c.password, keepalive: 60, reconnectPeriod: 0 }),
      (e: Error & { code?: number }) => e.code === 5,
    );
  });
});
