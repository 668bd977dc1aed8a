import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { helper, requireFromRuntime } from '../nr5/node-red-under-test';
import { connectionLabel, modemLabel } from '../../dist/nodes/node-label';

// An unnamed node's errors name it by the label the editor shows (what the user sees on the
// canvas), never by its id: in the log line's `[type:name]` and in a Catch node's source.name.

// eslint-disable-next-line @typescript-eslint/no-require-imports
const iotdaAt = require('../../dist/nodes/iotda-at');
const catchNode = requireFromRuntime('@node-red/nodes/core/common/25-catch.js');
// The kind's name comes from the catalog ('property' in en-US), or is the kind's id where the
// catalog is not loaded (the test helper): 'property' either way.

describe('an unnamed node is named by its editor label', () => {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(() => helper.unload());

  it('a Catch node (and the log) see "property → stm32" for an unnamed property publisher, not its id', async () => {
    const flow = [
      { id: 'f1', type: 'tab', label: 'label test' },
      // No such connection: the publishers fail each message with an error.
      { id: 'p1', type: 'at-publish', z: 'f1', connection: 'gone', kind: 'property', serviceId: 'stm32', wires: [] },
      { id: 'named', type: 'at-publish', z: 'f1', name: 'my report', connection: 'gone', kind: 'property', serviceId: 'stm32', wires: [] },
      { id: 'k1', type: 'catch', z: 'f1', scope: null, wires: [['out']] },
      { id: 'out', type: 'helper', z: 'f1' },
    ];
    await helper.load([iotdaAt, catchNode], flow);
    const caught: Record<string, unknown>[] = [];
    const out = helper.getNode('out');
    const two = new Promise<void>((resolve) => {
      out.on('input', (msg: Record<string, unknown>) => {
        caught.push(msg.error as Record<string, unknown>);
        if (caught.length === 2) resolve();
      });
    });
    helper.getNode('p1').receive({ payload: { t: 1 } });
    helper.getNode('named').receive({ payload: { t: 1 } });
    await two;
    const sources = caught.map((e) => e.source as { id: string; name?: string }).sort((a, b) => a.id.localeCompare(b.id));
    assert.deepEqual(sources.map((s) => [s.id, s.name]), [
      ['named', 'my report'],
      ['p1', 'property \u2192 stm32'],
    ]);
    // The log's `[type:name]` prefix reads the same node.name.
    assert.equal(helper.getNode('p1').name, 'property \u2192 stm32');
  });

  it('config nodes get the labels the editor shows: "EC20 @ port", "device@host:port"', () => {
    assert.equal(modemLabel({ model: 'ec20', port: '/dev/ttyUSB2' }), 'EC20 @ /dev/ttyUSB2');
    assert.equal(modemLabel({ model: 'bc26' }), 'BC26');
    assert.equal(connectionLabel({ deviceId: 'dev01', host: '127.0.0.1', port: 1883 }), 'dev01@127.0.0.1:1883');
    assert.equal(connectionLabel({}), 'IoTDA');
  });
});
