/**
 * A throwaway CA and a loopback server certificate, made with the `openssl` CLI at start so
 * no key material ever ships in the package. Clients trust the CA via the API or the file.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCertificates {
  dir: string;
  caCertPath: string;
  caCertPem: string;
  serverKeyPem: string;
  serverCertPem: string;
}

export async function generateTestCertificates(host: string): Promise<TestCertificates> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iotda-sim-ca-'));
  const p = (name: string) => path.join(dir, name);
  // EC keys: generated in milliseconds, unlike RSA, so tests stay fast.
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '30', '-subj', '/CN=iotda-sim test CA']);
  await run('openssl', ['req', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=localhost']);
  const san = /^\d+\.\d+\.\d+\.\d+$/.test(host) ? `IP:${host}` : `DNS:${host}`;
  fs.writeFileSync(p('san.ext'), `subjectAltName=DNS:localhost,IP:127.0.0.1,${san}\n`);
  await run('openssl', [
    'x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial',
    '-out', p('server.pem'), '-days', '30', '-extfile', p('san.ext'),
  ]);
  return {
    dir,
    caCertPath: p('ca.pem'),
    caCertPem: fs.readFileSync(p('ca.pem'), 'utf8'),
    serverKeyPem: fs.readFileSync(p('server.key'), 'utf8'),
    serverCertPem: fs.readFileSync(p('server.pem'), 'utf8'),
  };
}
