import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AtTimeoutError } from '../../dist/at/errors';
import { LinkSupervisor, type LinkStatus } from '../../dist/link/link-supervisor';
import { ModemSupervisor } from '../../dist/link/modem-supervisor';
import type { ModemDriver } from '../../dist/modems/driver';
import { refusedText } from '../../dist/nodes/status-view';
import { serialTimeoutAdvice } from '../../dist/transport/serial-port-list';
import { within } from '../modems/event-deadline';
import { FakeDriver } from './fake-driver';
import { translator } from './link-rig';

// Issue 13 items 1 and 4 on the link side: a CONNACK 4 is worded as what it can mean on IoTDA
// (unknown device id or wrong secret, docs/iotda.md §1.8), and a modem that does not answer
// while it is brought up on a real serial port gets the advice what to check.

function linkWith(failInit: Error | undefined, timeoutAdvice: string | undefined) {
  const modem = new ModemSupervisor({
    createDriver: () => {
      const d = new FakeDriver();
      if (failInit) d.failures.set('init', [failInit]);
      return d as unknown as ModemDriver;
    },
  });
  const link = new LinkSupervisor({ modem, host: '127.0.0.1', port: 1883, deviceId: 'prod_dev01', secret: 's', reconnectFloorMs: 60000, reconnectCeilingMs: 60000, probeIntervalMs: 0, timeoutAdvice });
  const backoff = new Promise<LinkStatus>((resolve) => link.on('status', (s: LinkStatus) => s.state === 'backoff' && resolve(s)));
  return { modem, link, backoff };
}

describe('bring-up timeout advice and the CONNACK 4 wording (issue 13)', () => {
  it('an AT timeout while the modem is brought up on a serial port names what to check', async () => {
    const advice = serialTimeoutAdvice('/dev/ttyUSB2', 'en-US')!;
    const { modem, link, backoff } = linkWith(new AtTimeoutError('AT', 300), advice);
    try {
      link.connect();
      const s = await within(backoff, 'the failed bring-up');
      assert.ok(s.reason?.includes(advice), s.reason);
      assert.match(s.reason ?? '', /baud rate/);
    } finally {
      await link.dispose();
      await modem.close();
    }
  });

  it('other bring-up failures, and links without advice (sim:, tcp://), keep their reason as it is', async () => {
    const advice = serialTimeoutAdvice('/dev/ttyUSB2', 'en-US')!;
    for (const [err, givenAdvice] of [[new Error('no SIM'), advice], [new AtTimeoutError('AT', 300), serialTimeoutAdvice('sim:ec20')]] as const) {
      const { modem, link, backoff } = linkWith(err, givenAdvice);
      try {
        link.connect();
        const s = await within(backoff, 'the failed bring-up');
        assert.ok(!s.reason?.includes('Check '), s.reason);
        assert.equal(s.reason, err.message);
      } finally {
        await link.dispose();
        await modem.close();
      }
    }
  });

  it('a refused login says "unknown device id or wrong secret" in both languages', () => {
    const refused: LinkStatus = { state: 'refused', connack: 4, reason: 'connection refused', queued: 0 };
    assert.match(refusedText(refused, translator('en-US')), /CONNACK 4.*unknown device id or wrong secret/);
    assert.match(refusedText(refused, translator('zh-CN')), /CONNACK 4.*设备 ID 不存在或密钥错误/);
  });
});
