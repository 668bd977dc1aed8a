/**
 * The CA that "Verify with IoTDA's CA" uploads (certs/iotda-root-ca.pem) ships with the package
 * and is exactly the two roots docs/security.md names, by SHA-256 fingerprint.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IOTDA_ROOT_CA_FILE, iotdaRootCa } from '../../dist/modems/tls-options';

const root = path.resolve(__dirname, '..', '..');

describe("IoTDA's root CAs in the package", () => {
  it('certs/ is in package.json "files" and the driver reads the file from there', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    assert.ok(pkg.files.includes('certs/'));
    assert.equal(path.relative(root, IOTDA_ROOT_CA_FILE), path.join('certs', 'iotda-root-ca.pem'));
  });

  it('holds DigiCert Global Root CA and GlobalSign Root CA - R3 with the fingerprints in docs/security.md', () => {
    const pems = iotdaRootCa().toString().match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    const certs = pems.map((p) => new X509Certificate(p));
    assert.deepEqual(
      certs.map((c) => [c.subject.split('\n').find((l) => l.startsWith('CN=')), c.fingerprint256]),
      [
        ['CN=DigiCert Global Root CA', '43:48:A0:E9:44:4C:78:CB:26:5E:05:8D:5E:89:44:B4:D8:4F:96:62:BD:26:DB:25:7F:89:34:A4:43:C7:01:61'],
        ['CN=GlobalSign', 'CB:B5:22:D7:B7:F1:27:AD:6A:01:13:86:5B:DF:1C:D4:10:2E:7D:07:59:AF:63:5A:7C:F4:72:0D:C9:63:C5:3B'],
      ],
    );
    const doc = fs.readFileSync(path.join(root, 'docs', 'security.md'), 'utf8');
    for (const c of certs) assert.ok(doc.includes(c.fingerprint256), `docs/security.md names ${c.fingerprint256}`);
  });
});
