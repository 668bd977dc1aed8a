/**
 * mqtt-at-connect's TLS verification setting to the link's TLS option (src/nodes/tls-choice.ts):
 * the default for flows without the setting, each choice, and each CA the node cannot use.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tlsSettingOf } from '../../dist/nodes/tls-choice';
import { resolveTls } from '../../dist/modems/tls-options';
import { generateTestCertificates } from '../../dist/sim/iotda/test-certificates';

const _ = (key: string, params?: Record<string, unknown>) => `${key}${params ? ` ${JSON.stringify(params)}` : ''}`;

describe('TLS verification setting', () => {
  it('TLS off: no TLS whatever the choice', () => {
    assert.deepEqual(tlsSettingOf({ tls: false, tlsVerify: 'custom' }, undefined, _), { tls: false });
  });

  it("no setting (a flow saved before it existed) and 'iotda' verify with the shipped IoTDA roots", () => {
    for (const tlsVerify of [undefined, '', 'iotda']) {
      const s = tlsSettingOf({ tls: true, tlsVerify }, undefined, _);
      assert.equal(s.invalid, undefined);
      const r = resolveTls(s.invalid === undefined ? s.tls : false);
      assert.ok(r.on && r.verify);
      assert.match(r.caLabel, /IoTDA's root CAs/);
      // Both roots are in the shipped file.
      assert.equal((r.ca.toString().match(/BEGIN CERTIFICATE/g) ?? []).length, 2);
    }
  });

  it("'none' encrypts without verifying", () => {
    assert.deepEqual(tlsSettingOf({ tls: 'true', tlsVerify: 'none' }, undefined, _), { tls: { verify: false } });
  });

  it("'custom' takes the pasted PEM first, else the file; each unusable CA is a clear error", async () => {
    const { caCertPem, caCertPath } = await generateTestCertificates('127.0.0.1');
    const pasted = tlsSettingOf({ tls: true, tlsVerify: 'custom', caFile: '/nonexistent' }, caCertPem, _);
    assert.equal(pasted.invalid, undefined);
    const fromFile = tlsSettingOf({ tls: true, tlsVerify: 'custom', caFile: caCertPath }, '', _);
    assert.equal(fromFile.invalid, undefined);
    assert.ok(fromFile.invalid === undefined && typeof fromFile.tls === 'object' && fromFile.tls.caLabel?.includes(caCertPath));

    const dir = mkdtempSync(path.join(os.tmpdir(), 'tls-choice-'));
    const junk = path.join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate');
    assert.match(tlsSettingOf({ tls: true, tlsVerify: 'custom' }, '', _).invalid ?? '', /^iotda-at\.errors\.missingCa/);
    assert.match(tlsSettingOf({ tls: true, tlsVerify: 'custom', caFile: path.join(dir, 'absent.pem') }, '', _).invalid ?? '', /^iotda-at\.errors\.unreadableCa/);
    assert.match(tlsSettingOf({ tls: true, tlsVerify: 'custom', caFile: junk }, '', _).invalid ?? '', /^iotda-at\.errors\.invalidCa.*no PEM certificate/);
    assert.match(tlsSettingOf({ tls: true, tlsVerify: 'custom' }, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', _).invalid ?? '', /^iotda-at\.errors\.invalidCa.*does not parse/);
    assert.match(tlsSettingOf({ tls: true, tlsVerify: 'maybe' }, '', _).invalid ?? '', /^iotda-at\.errors\.invalidTlsVerify/);
  });
});
