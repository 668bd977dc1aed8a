import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { linkStatusView } from '../../dist/nodes/status-view';

// The `refused` link state (CONNACK 4/5) keeps the status users saw before it was a state of its
// own: a red ring with the translated refusal and its CONNACK code, also with reports queued.

describe('status of a refused link', () => {
  const _ = (key: string, p?: Record<string, unknown>) => `${key} ${JSON.stringify(p ?? {})}`;

  it('shows the refusal with its CONNACK code, not the queue', () => {
    const st = linkStatusView({ state: 'refused', connack: 5, reason: 'AT+QMTCONN: CONNACK 5', queued: 3 }, _, 3);
    assert.equal(st.fill, 'red');
    assert.equal(st.shape, 'ring');
    assert.match(String(st.text), /^iotda-at\.errors\.authFailed /);
    assert.match(String(st.text), /"code":5/);
  });
});
