/**
 * The cellular attach reads its answers with the profile's response patterns, not with
 * prefixes built from template names: a custom profile whose registration query has a name
 * of its own (or whose answer has another prefix) still registers.
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createModemDriver, type GenericModemDriver } from '../../dist/modems/generic-driver';
import { loadProfile } from '../../dist/modems/load-profile';
import { ProfileError } from '../../dist/modems/errors';
import { startHarness, type Harness } from './emulator-harness';
import { ScriptedModem, healthyQuectel } from './scripted-modem';

let harness: Harness | undefined;
let drivers: GenericModemDriver[] = [];
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  for (const d of drivers) await d.close();
  drivers = [];
});

describe('custom profile registration queries', () => {
  it('a registration query under a name of its own ("lteReg": "AT+CEREG?") registers on the emulated EC20', async () => {
    const profile = loadProfile(JSON.stringify({ extends: 'ec20', name: 'ec20-lte', commands: { lteReg: 'AT+CEREG?' }, attach: { registration: ['lteReg'] } }));
    harness = await startHarness('ec20', {}, profile);
    await harness.driver.init();
    await harness.driver.attachNetwork({ apn: 'cmnet', timeoutMs: 10_000 });
    assert.ok(harness.trace.includes('>> AT+CEREG?'), harness.trace.join('\n'));
    assert.ok(!harness.trace.some((t) => t.startsWith('>> AT+CREG?') || t.startsWith('>> AT+CGREG?')), 'only the profile\'s query is asked');
  });

  it('an answer prefix unlike the template comes from responses: the query registers on stat 5 (roaming)', async () => {
    const modem = healthyQuectel(new ScriptedModem('\r')).rule(/^AT\+NBREG\?$/, '\r\n+CEREG: 2,5,"1A2B","0C3D4E5F",9\r\n\r\nOK\r\n');
    const profile = loadProfile({
      extends: 'bc26',
      name: 'bc26-nbreg',
      commands: { nbReg: 'AT+NBREG?' },
      responses: { nbReg: '^\\+CEREG: *\\d+, *(\\d+)' },
      attach: { registration: ['nbReg'] },
    });
    const trace: string[] = [];
    const driver = createModemDriver(modem, profile, { trace: (d, t) => trace.push(`${d} ${t}`) });
    drivers.push(driver);
    modem.isOpen = true;
    await driver.init();
    await driver.attachNetwork({ timeoutMs: 3000 });
    assert.ok(modem.lines.includes('AT+NBREG?'), modem.lines.join('\n'));
    assert.ok(!modem.lines.includes('AT+CEREG?'), 'the built-in query is not asked');
  });

  it('a registration query whose answer prefix cannot be told from its template needs responses', () => {
    assert.throws(
      () => loadProfile({ extends: 'ec20', name: 'x', commands: { reg: 'ATS99?' }, attach: { registration: ['reg'] } }),
      (err: unknown) => err instanceof ProfileError && /responses\.reg.*required/.test(err.message),
    );
    assert.throws(
      () => loadProfile({ extends: 'ec20', name: 'x', responses: { csq: '+CSQ: (\\d+)' } }),
      (err: unknown) => err instanceof ProfileError && /responses\.csq/.test(err.message),
    );
  });
});
