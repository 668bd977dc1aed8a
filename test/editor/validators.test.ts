import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';

// Runs the editor script of the built package (dist/nodes/iotda-at.html) in a VM with a minimal
// RED object, so the validators users meet in the editor are tested as shipped, without a browser.

const root = path.resolve(__dirname, '..', '..');
const NS = 'node-red-contrib-iotda-at/iotda-at:';

type Validator = (this: Record<string, unknown>, v: unknown, opt?: unknown) => unknown;
interface PropDef { value: unknown; required?: boolean; validate?: Validator; type?: string }
interface NodeDef {
  category: string;
  defaults: Record<string, PropDef>;
  credentials?: Record<string, { type: string }>;
  label: (this: Record<string, unknown>) => string;
  inputs?: number;
  outputs?: number;
}

const defs: Record<string, NodeDef> = {};
const configNodes: Record<string, Record<string, unknown>> = {};

function loadEditorScript(): void {
  const html = fs.readFileSync(path.join(root, 'dist', 'nodes', 'iotda-at.html'), 'utf8');
  const scripts = [...html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  assert.equal(scripts.length, 1, 'one text/javascript block');
  const RED = {
    // Returns the key so tests can assert WHICH message a validator picked.
    _: (key: string) => key,
    nodes: {
      registerType: (type: string, def: NodeDef) => { defs[type] = def; },
      node: (id: string) => configNodes[id] ?? null,
    },
  };
  vm.runInNewContext(scripts[0], { RED, $: () => ({ length: 0 }) }, { filename: 'iotda-at.html' });
}

/** Validates one property the way the editor does: `this` is the node, value is its property. */
function check(type: string, node: Record<string, unknown>, prop: string): true | string {
  const def = defs[type].defaults[prop];
  const value = node[prop];
  if (def.required && (value === '' || value === undefined)) return 'required';
  if (!def.validate) return true;
  // The editor only accepts a returned string as a reason when the validator declares (v, opt).
  assert.equal(def.validate.length, 2, `${type}.${prop} validator takes (v, opt)`);
  const r = def.validate.call({ type, id: 'n1', ...node }, value, {});
  if (r === true) return true;
  assert.equal(typeof r, 'string', `${type}.${prop} returns true or a reason`);
  assert.ok(String(r).startsWith(NS), `${type}.${prop} reason is a namespaced catalog key: ${r}`);
  return String(r).slice(NS.length);
}

function withDefaults(type: string, over: Record<string, unknown>): Record<string, unknown> {
  const node: Record<string, unknown> = {};
  for (const [k, d] of Object.entries(defs[type].defaults)) node[k] = d.value;
  return { ...node, ...over };
}

before(() => {
  loadEditorScript();
  configNodes.mEc20 = { id: 'mEc20', type: 'modem-config', model: 'ec20' };
  configNodes.mBc26 = { id: 'mBc26', type: 'modem-config', model: 'bc26' };
  configNodes.mEsp = { id: 'mEsp', type: 'modem-config', model: 'esp8266' };
});

describe('editor definitions', () => {
  it('registers the four types with the contract property names and defaults', () => {
    assert.deepEqual(Object.keys(defs).sort(), ['at-publish', 'at-subscribe', 'modem-config', 'mqtt-at-connect']);
    const expected: Record<string, Record<string, unknown>> = {
      'modem-config': { name: '', port: '', baudRate: 115200, model: 'ec20', apn: '', apnUser: '', wifiSsid: '', trace: false, interface: 'auto' },
      'mqtt-at-connect': { name: '', modem: '', host: '', port: 1883, tls: false, tlsVerify: 'iotda', caFile: '', deviceId: '', signType: 1, keepalive: 120, clientIndex: 0, persistQueue: true },
      'at-publish': { name: '', connection: '', kind: 'property', serviceId: '', topic: '', qos: 0, template: '', queueSize: 1000 },
      'at-subscribe': { name: '', connection: '', kind: 'messages', topic: '', output: 'auto' },
    };
    for (const [type, props] of Object.entries(expected)) {
      const actual = Object.fromEntries(Object.entries(defs[type].defaults).map(([k, d]) => [k, d.value]));
      assert.deepEqual(actual, props, type);
    }
    // Objects made inside the VM have its prototypes: compare their JSON form.
    const plain = (v: unknown) => JSON.parse(JSON.stringify(v));
    assert.deepEqual(plain(defs['modem-config'].credentials), { wifiPassword: { type: 'password' }, apnPassword: { type: 'password' } });
    assert.deepEqual(plain(defs['mqtt-at-connect'].credentials), { secret: { type: 'password' }, caPem: { type: 'text' } });
    assert.equal(defs['mqtt-at-connect'].defaults.modem.type, 'modem-config');
    assert.equal(defs['at-publish'].defaults.connection.type, 'mqtt-at-connect');
    assert.equal(defs['at-subscribe'].defaults.connection.type, 'mqtt-at-connect');
    assert.deepEqual([defs['at-publish'].inputs, defs['at-publish'].outputs], [1, 1]);
    assert.deepEqual([defs['at-subscribe'].inputs, defs['at-subscribe'].outputs], [0, 1]);
    assert.equal(defs['modem-config'].category, 'config');
    assert.equal(defs['mqtt-at-connect'].category, 'config');
    assert.equal(defs['at-publish'].category, defs['at-subscribe'].category);
    assert.notEqual(defs['at-publish'].category, 'config');
  });
});

describe('modem-config validators', () => {
  const cases: Array<[string, Record<string, unknown>, string, true | string]> = [
    ['serial path', { port: '/dev/ttyUSB2' }, 'port', true],
    ['by-id path', { port: '/dev/serial/by-id/usb-Quectel_EC20-if02-port0' }, 'port', true],
    ['Windows port', { port: 'COM3' }, 'port', true],
    ['tcp port', { port: 'tcp://192.168.1.20:4001' }, 'port', true],
    ['tcp host name', { port: 'tcp://gateway.local:4001' }, 'port', true],
    ['tcp without port', { port: 'tcp://192.168.1.20' }, 'port', 'modem-config.errors.tcpPort'],
    ['tcp port out of range', { port: 'tcp://h:70000' }, 'port', 'modem-config.errors.tcpPort'],
    ['sim ec20', { port: 'sim:ec20' }, 'port', true],
    ['sim unknown model', { port: 'sim:sim800' }, 'port', 'modem-config.errors.simPort'],
    ['bare word', { port: 'ttyUSB0' }, 'port', 'modem-config.errors.serialPort'],
    ['blank port', { port: '  ' }, 'port', 'modem-config.errors.portMissing'],
    ['empty port', { port: '' }, 'port', 'required'],
    ['model matches sim port', { port: 'sim:bc26', model: 'bc26' }, 'model', true],
    ['model differs from sim port', { port: 'sim:bc26', model: 'ec20' }, 'model', 'modem-config.errors.simModel'],
    ['unknown model', { port: '/dev/ttyUSB0', model: 'sim800' }, 'model', 'modem-config.errors.model'],
    ['baud 115200', { baudRate: 115200 }, 'baudRate', true],
    ['baud as string', { baudRate: '9600' }, 'baudRate', true],
    ['baud not a number', { baudRate: 'fast' }, 'baudRate', 'modem-config.errors.baudRate'],
    ['baud too low', { baudRate: 100 }, 'baudRate', 'modem-config.errors.baudRate'],
    ['APN ascii', { apn: 'cmnet' }, 'apn', true],
    ['APN non-ascii', { apn: 'ä' }, 'apn', 'modem-config.errors.apn'],
    ['SSID needed on esp8266', { model: 'esp8266', wifiSsid: '' }, 'wifiSsid', 'modem-config.errors.wifiSsidMissing'],
    ['SSID ignored on ec20', { model: 'ec20', wifiSsid: '' }, 'wifiSsid', true],
    ['SSID 32 bytes', { model: 'esp8266', wifiSsid: 'x'.repeat(32) }, 'wifiSsid', true],
    ['SSID 33 bytes', { model: 'esp8266', wifiSsid: 'x'.repeat(33) }, 'wifiSsid', 'modem-config.errors.wifiSsid'],
    ['SSID multibyte over 32 bytes', { model: 'esp8266', wifiSsid: '网'.repeat(11) }, 'wifiSsid', 'modem-config.errors.wifiSsid'],
    ['interface auto', { interface: 'auto' }, 'interface', true],
    ['interface uart', { interface: 'uart' }, 'interface', true],
    ['interface missing in an older flow', { interface: undefined }, 'interface', true],
    ['interface unknown', { interface: 'usb2' }, 'interface', 'modem-config.errors.interface'],
    // Credentials (never exported): a node imported or added since the last deploy has none known.
    ['Wi-Fi password missing on an imported esp8266', { model: 'esp8266', wifiSsid: 'home', changed: true }, 'wifiSsid', 'modem-config.errors.wifiPasswordMissing'],
    // An open network has no password: empty is valid once the user has seen the field (issue 13).
    ['open network: Wi-Fi password left empty in the dialog', { model: 'esp8266', wifiSsid: 'home', changed: true, credentials: { wifiPassword: '', has_wifiPassword: false } }, 'wifiSsid', true],
    ['open network: none stored on the server (the dialog fetched has_wifiPassword false)', { model: 'esp8266', wifiSsid: 'cafe', credentials: { has_wifiPassword: false } }, 'wifiSsid', true],
    ['Wi-Fi password typed', { model: 'esp8266', wifiSsid: 'home', changed: true, credentials: { wifiPassword: 'pw' } }, 'wifiSsid', true],
    ['Wi-Fi password stored on the server', { model: 'esp8266', wifiSsid: 'home', credentials: { has_wifiPassword: true } }, 'wifiSsid', true],
    ['deployed esp8266, credentials unknown here', { model: 'esp8266', wifiSsid: 'home', changed: false }, 'wifiSsid', true],
    ['no Wi-Fi password needed on ec20', { model: 'ec20', changed: true }, 'wifiSsid', true],
  ];
  for (const [name, over, prop, want] of cases) {
    it(`${name}: ${prop} -> ${want}`, () => {
      assert.equal(check('modem-config', withDefaults('modem-config', over), prop), want);
    });
  }
});

describe('mqtt-at-connect validators', () => {
  const cases: Array<[string, Record<string, unknown>, string, true | string]> = [
    ['demo device id', { deviceId: 'demo_product_dev01' }, 'deviceId', true],
    ['huawei style id', { deviceId: '5f052ac562369102d42b0fb6_demo-1' }, 'deviceId', true],
    ['128 chars', { deviceId: 'a'.repeat(128) }, 'deviceId', true],
    ['129 chars', { deviceId: 'a'.repeat(129) }, 'deviceId', 'mqtt-at-connect.errors.deviceId'],
    ['quote in id', { deviceId: 'dev"01' }, 'deviceId', 'mqtt-at-connect.errors.deviceId'],
    ['space in id', { deviceId: 'dev 01' }, 'deviceId', 'mqtt-at-connect.errors.deviceId'],
    ['secret missing on an imported connection', { deviceId: 'dev01', changed: true }, 'deviceId', 'mqtt-at-connect.errors.secretMissing'],
    ['secret left empty in the dialog', { deviceId: 'dev01', credentials: { secret: '', has_secret: false } }, 'deviceId', 'mqtt-at-connect.errors.secretMissing'],
    ['secret typed', { deviceId: 'dev01', changed: true, credentials: { secret: 's3cret' } }, 'deviceId', true],
    ['secret stored on the server', { deviceId: 'dev01', changed: true, credentials: { has_secret: true } }, 'deviceId', true],
    ['deployed connection, credentials unknown here', { deviceId: 'dev01', changed: false }, 'deviceId', true],
    ['keepalive 30', { keepalive: 30 }, 'keepalive', true],
    ['keepalive 1200', { keepalive: '1200' }, 'keepalive', true],
    ['keepalive 29', { keepalive: 29 }, 'keepalive', 'mqtt-at-connect.errors.keepalive'],
    ['keepalive 1201', { keepalive: 1201 }, 'keepalive', 'mqtt-at-connect.errors.keepalive'],
    ['keepalive 0', { keepalive: 0 }, 'keepalive', 'mqtt-at-connect.errors.keepalive'],
    ['client index 5 on ec20', { modem: 'mEc20', clientIndex: 5 }, 'clientIndex', true],
    ['client index 6 on bc26', { modem: 'mBc26', clientIndex: 6 }, 'clientIndex', 'mqtt-at-connect.errors.clientIndex'],
    ['client index -1', { modem: 'mEc20', clientIndex: -1 }, 'clientIndex', 'mqtt-at-connect.errors.clientIndex'],
    ['client index unused on esp8266', { modem: 'mEsp', clientIndex: 9 }, 'clientIndex', true],
    ['sign type 1', { signType: '1' }, 'signType', true],
    ['sign type 2 (SM3) refused', { signType: 2 }, 'signType', 'mqtt-at-connect.errors.signType'],
    ['host ip', { host: '127.0.0.1' }, 'host', true],
    ['host name', { host: 'abc123.st1.iotda-device.cn-north-4.myhuaweicloud.com' }, 'host', true],
    ['host with scheme', { host: 'mqtt://127.0.0.1' }, 'host', 'mqtt-at-connect.errors.host'],
    ['host with port', { host: '127.0.0.1:1883' }, 'host', 'mqtt-at-connect.errors.host'],
    ['port 8883', { port: 8883 }, 'port', true],
    ['port 0', { port: 0 }, 'port', 'mqtt-at-connect.errors.port'],
    ['tls on ec20', { modem: 'mEc20', tls: true }, 'tls', true],
    ['tls on esp8266', { modem: 'mEsp', tls: true }, 'tls', 'mqtt-at-connect.errors.tls'],
    ['no tls on esp8266', { modem: 'mEsp', tls: false }, 'tls', true],
    ["verify with IoTDA's CA", { tls: true, tlsVerify: 'iotda' }, 'tlsVerify', true],
    ['verify with my CA, none given', { tls: true, tlsVerify: 'custom', changed: true }, 'tlsVerify', 'mqtt-at-connect.errors.caMissing'],
    ['verify with my CA, PEM left empty', { tls: true, tlsVerify: 'custom', credentials: { caPem: '', has_caPem: false } }, 'tlsVerify', 'mqtt-at-connect.errors.caMissing'],
    ['verify with my CA, PEM pasted', { tls: true, tlsVerify: 'custom', changed: true, credentials: { caPem: '-----BEGIN CERTIFICATE-----' } }, 'tlsVerify', true],
    ['verify with my CA, file given', { tls: true, tlsVerify: 'custom', changed: true, caFile: '/etc/iotda-ca.pem' }, 'tlsVerify', true],
    ['my CA without TLS is not checked', { tls: false, tlsVerify: 'custom', changed: true }, 'tlsVerify', true],
    ['encrypt without verifying', { tls: true, tlsVerify: 'none' }, 'tlsVerify', true],
  ];
  for (const [name, over, prop, want] of cases) {
    it(`${name}: ${prop} -> ${want}`, () => {
      assert.equal(check('mqtt-at-connect', withDefaults('mqtt-at-connect', over), prop), want);
    });
  }
});

describe('at-publish validators', () => {
  const cases: Array<[string, Record<string, unknown>, string, true | string]> = [
    ['service id for property', { kind: 'property', serviceId: 'stm32' }, 'serviceId', true],
    ['property without service id', { kind: 'property', serviceId: '' }, 'serviceId', 'at-publish.errors.serviceIdMissing'],
    ['message without service id', { kind: 'message', serviceId: '' }, 'serviceId', true],
    ['service id with quote', { kind: 'property', serviceId: 'a"b' }, 'serviceId', 'at-publish.errors.serviceId'],
    ['service id $time_sync', { kind: 'event', serviceId: '$time_sync' }, 'serviceId', true],
    ['raw topic', { kind: 'raw', topic: '$oc/devices/d1/user/up' }, 'topic', true],
    ['raw topic template', { kind: 'raw', topic: '$oc/devices/d1/user/{{topic}}' }, 'topic', true],
    ['raw topic missing', { kind: 'raw', topic: '' }, 'topic', 'at-publish.errors.topicMissing'],
    ['raw topic with +', { kind: 'raw', topic: '$oc/devices/+/user/up' }, 'topic', 'at-publish.errors.topicWildcard'],
    ['raw topic with #', { kind: 'raw', topic: '$oc/devices/d1/#' }, 'topic', 'at-publish.errors.topicWildcard'],
    ['raw topic unbalanced', { kind: 'raw', topic: '$oc/{{topic' }, 'topic', 'at-publish.errors.template'],
    ['topic ignored unless raw', { kind: 'property', topic: '#' }, 'topic', true],
    ['qos 1', { qos: '1' }, 'qos', true],
    ['qos 2 refused', { qos: 2 }, 'qos', 'at-publish.errors.qos'],
    ['template', { template: '{"t": {{payload.t}}}' }, 'template', true],
    ['template unbalanced', { template: '{"t": {{payload.t} }' }, 'template', 'at-publish.errors.template'],
    ['queue 0', { queueSize: 0 }, 'queueSize', true],
    ['queue negative', { queueSize: -1 }, 'queueSize', 'at-publish.errors.queueSize'],
    ['unknown kind', { kind: 'shadow' }, 'kind', 'at-publish.errors.kind'],
  ];
  for (const [name, over, prop, want] of cases) {
    it(`${name}: ${prop} -> ${want}`, () => {
      assert.equal(check('at-publish', withDefaults('at-publish', over), prop), want);
    });
  }
});

describe('at-subscribe validators', () => {
  const cases: Array<[string, Record<string, unknown>, string, true | string]> = [
    ['raw filter with #', { kind: 'raw', topic: '$oc/devices/d1/user/#' }, 'topic', true],
    ['raw filter with +', { kind: 'raw', topic: '$oc/devices/d1/+/down' }, 'topic', true],
    ['# not last', { kind: 'raw', topic: '$oc/#/down' }, 'topic', 'at-subscribe.errors.topicHash'],
    ['# inside a level', { kind: 'raw', topic: '$oc/devices/d1/a#' }, 'topic', 'at-subscribe.errors.topicHash'],
    ['+ inside a level', { kind: 'raw', topic: '$oc/devices/d+/x' }, 'topic', 'at-subscribe.errors.topicPlus'],
    ['leading wildcard misses $oc', { kind: 'raw', topic: '#' }, 'topic', 'at-subscribe.errors.topicDollar'],
    ['raw filter missing', { kind: 'raw', topic: '' }, 'topic', 'at-subscribe.errors.topicMissing'],
    ['topic ignored unless raw', { kind: 'commands', topic: '' }, 'topic', true],
    ['output buffer', { output: 'buffer' }, 'output', true],
    ['output unknown', { output: 'json' }, 'output', 'at-subscribe.errors.output'],
    ['kind property-get', { kind: 'property-get' }, 'kind', true],
    ['kind unknown', { kind: 'shadow' }, 'kind', 'at-subscribe.errors.kind'],
  ];
  for (const [name, over, prop, want] of cases) {
    it(`${name}: ${prop} -> ${want}`, () => {
      assert.equal(check('at-subscribe', withDefaults('at-subscribe', over), prop), want);
    });
  }
});

describe('default labels', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['at-publish', { kind: 'property', serviceId: 'stm32' }, `${NS}at-publish.kind.property \u2192 stm32`],
    ['at-publish', { kind: 'command-response' }, `${NS}at-publish.kind.command-response \u2192 IoTDA`],
    ['at-publish', { name: 'report', kind: 'property', serviceId: 'stm32' }, 'report'],
    ['at-subscribe', { kind: 'commands' }, `${NS}at-subscribe.kind.commands \u2190 IoTDA`],
    ['at-subscribe', { kind: 'raw', topic: '$oc/devices/d/user/#' }, `${NS}at-subscribe.kind.raw \u2190 $oc/devices/d/user/#`],
    ['modem-config', { port: 'sim:ec20', model: 'ec20' }, 'EC20 @ sim:ec20'],
    ['mqtt-at-connect', { deviceId: 'demo_product_dev01', host: '127.0.0.1', port: 1883 }, 'demo_product_dev01@127.0.0.1:1883'],
  ];
  for (const [type, node, want] of cases) {
    it(`${type} ${JSON.stringify(node)} -> ${want}`, () => {
      assert.equal(defs[type].label.call(node), want);
    });
  }
});

describe('example flows pass the editor validators', () => {
  const dir = path.join(root, 'examples');
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    it(file, () => {
      const flow = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Array<Record<string, unknown>>;
      // Cross-field validators look config nodes up by id, as RED.nodes.node does in the editor.
      for (const n of flow) if (n.type === 'modem-config') configNodes[n.id as string] = n;
      for (const n of flow) {
        const def = defs[n.type as string];
        if (!def) continue;
        for (const prop of Object.keys(def.defaults)) {
          assert.ok(prop in n, `${file}: ${n.type} ${n.id} sets ${prop}`);
          assert.equal(check(n.type as string, n, prop), true, `${file}: ${n.type} ${n.id} ${prop}`);
        }
      }
    });
  }
});
