import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AtArgumentError, AtClosedError, AtCommandError, AtTimeoutError, ModemBusyError, ModemRebootedError } from '../../dist/at/errors';
import { ModemError, PayloadRejectedError, ProfileError } from '../../dist/modems/errors';
import { LinkError, connackRefusal, errorKind } from '../../dist/link/errors';
import { DEVICE, reach, useLinkRig } from './link-rig';

const UP = `$oc/devices/${DEVICE}/sys/properties/report`;
const rig = useLinkRig();

describe('error kinds', () => {
  const cases: [string, unknown, 'transient' | 'permanent' | 'auth'][] = [
    ['AT timeout', new AtTimeoutError('AT+QMTPUB', 1000), 'transient'],
    ['ERROR final', new AtCommandError('AT+QMTPUB', 'ERROR'), 'transient'],
    ['reboot', new ModemRebootedError('AT', 'RDY'), 'transient'],
    ['busy', new ModemBusyError('AT', 'busy p...', 3), 'transient'],
    ['port closed', new AtClosedError('AT'), 'transient'],
    ['argument refused', new AtArgumentError('bad value'), 'permanent'],
    ['payload too large', new PayloadRejectedError('publish', 'payload is 9999 bytes'), 'permanent'],
    ['profile', new ProfileError('bad profile'), 'permanent'],
    ['driver check without cause', new ModemError('publish', '', 'qos must be 0 or 1'), 'permanent'],
    ['driver wrap of a timeout', new ModemError('AT+QMTPUB', 'timeout', 'no answer', { cause: new AtTimeoutError('AT+QMTPUB', 1) }), 'transient'],
    ['CONNACK 4', new ModemError('AT+QMTCONN', '+QMTCONN: 0,0,4', 'CONNACK 4', { kind: 'auth', connack: 4 }), 'auth'],
    ['CONNACK 5', new ModemError('AT+QMTCONN', '+QMTCONN: 0,0,5', 'CONNACK 5', { kind: 'auth', connack: 5 }), 'auth'],
    ['link: queue full', new LinkError('queue-full', 'full'), 'permanent'],
    ['link: not connected', new LinkError('not-connected', 'down'), 'transient'],
    // English that says "CONNACK 4" is not a refusal: only the typed field counts.
    ['plain text mentioning CONNACK 4', new Error('+QMTCONN: 0,0,4 (CONNACK 4: bad user name or password)'), 'transient'],
  ];
  for (const [name, err, kind] of cases) {
    it(`${name} is ${kind}`, () => assert.equal(errorKind(err), kind));
  }

  it('the CONNACK code comes from the structured field, also through a cause', () => {
    const inner = new ModemError('AT+QMTCONN', '+QMTCONN: 0,0,5', 'CONNACK 5', { kind: 'auth', connack: 5 });
    assert.equal(connackRefusal(new LinkError('not-connected', 'x', { cause: inner })), 5);
    assert.equal(connackRefusal(new Error('CONNACK 4')), undefined);
  });
});

describe('publish failures by kind', () => {
  it('a permanent failure fails that report only; the link stays online and the next report goes out', async () => {
    const r = rig();
    r.link.connect();
    await reach(r.link, 'online');
    const d = r.drivers[0];
    d.failures.set('publish', [new PayloadRejectedError('publish', 'payload contains Ctrl-Z')]);
    const bad = r.link.publish(UP, Buffer.from('bad'), 1);
    const good = r.link.publish(UP, Buffer.from('good'), 1);
    await assert.rejects(bad, { name: 'PayloadRejectedError' });
    await good;
    assert.equal(r.link.state, 'online');
    assert.deepEqual(d.sessions.get(0)!.published.map((p) => p.payload), ['good']);
    assert.equal(d.sessions.get(0)!.connects.length, 1, 'no reconnect for a permanent failure');
  });

  it('a transient failure while online keeps the report at the head; a second one in a row reconnects; nothing is rejected', async () => {
    const r = rig();
    r.link.connect();
    await reach(r.link, 'online');
    const d = r.drivers[0];
    const refused = () => new ModemError('AT+QMTPUB', 'ERROR', 'refused', { cause: new AtCommandError('AT+QMTPUB', 'ERROR') });
    d.failures.set('publish', [refused(), refused()]);
    const sent = ['1', '2', '3'].map((p) => r.link.publish(UP, Buffer.from(p), 1));
    await Promise.all(sent);
    assert.deepEqual(d.sessions.get(0)!.published.map((p) => p.payload), ['1', '2', '3'], 'in order, none lost');
    assert.equal(d.sessions.get(0)!.connects.length, 2, 'the second refusal in a row took the link down and it reconnected');
  });

  it('a poison report is given up after maxAttempts transient failures, saying so; the reports behind it go out', async () => {
    const r = rig({ maxAttempts: 3 });
    r.link.connect();
    await reach(r.link, 'online');
    const d = r.drivers[0];
    const timeout = () => new ModemError('AT+QMTPUB', 'timeout', 'no answer', { cause: new AtTimeoutError('AT+QMTPUB', 5) });
    d.failures.set('publish', [timeout(), timeout(), timeout()]);
    const poison = r.link.publish(UP, Buffer.from('poison'), 1);
    const next = r.link.publish(UP, Buffer.from('next'), 1);
    await assert.rejects(poison, (err: LinkError) => {
      assert.equal(err.code, 'attempts-exhausted');
      assert.equal(err.kind, 'permanent');
      assert.equal(err.attempts, 3);
      assert.match(err.message, /3 publish attempts/);
      return true;
    });
    await next;
    assert.deepEqual(r.drivers.at(-1)!.sessions.get(0)!.published.map((p) => p.payload), ['next']);
  });
});
