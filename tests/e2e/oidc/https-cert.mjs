// A self-signed certificate for https://127.0.0.1, for the providers whose
// client library refuses an http authority (apps/<lib>/dress.mjs `https`).
// Made with the openssl command (Debian's openssl package), valid one day,
// in a temporary folder removed at once: nothing is kept or trusted beyond
// the scenario's own browser context and resource server.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** { key, cert } (PEM) for the IP address 127.0.0.1. */
export function selfSignedCertificate() {
  const dir = mkdtempSync(join(tmpdir(), 'ksa-oidc-cert-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
