import { generateSigningKeyPair } from './internal/signing.js';

/** A fresh Ed25519 key pair for signing audit logs. */
export interface AuditSigningKeys {
  /** Private key, PKCS#8 PEM: the sink's `signingKey`. Keep it secret (file mode 0600). */
  privateKey: string;
  /** Public key, SPKI PEM: publish it; `verifyAuditLog`'s `publicKey`. */
  publicKey: string;
  /** SHA-256 of the public key's SPKI DER encoding, hex: the fingerprint reports print. */
  fingerprint: string;
}

/**
 * Generate an Ed25519 key pair for signed audit logs (what
 * `geoadmit audit keygen` writes to files).
 * @example
 * const { privateKey, publicKey } = generateAuditSigningKeys();
 * const sink = createJsonlAuditSink('audit.jsonl', { signingKey: privateKey });
 */
export function generateAuditSigningKeys(): AuditSigningKeys {
  const pair = generateSigningKeyPair();
  return { privateKey: pair.privateKeyPem, publicKey: pair.publicKeyPem, fingerprint: pair.fingerprint };
}
