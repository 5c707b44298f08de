import * as crypto from 'node:crypto';
import { ErrorCode, GeoadmitError } from '../../errors/index.js';

/**
 * What a checkpoint signature or HMAC covers: a position in the chain. The
 * line hash at `seq` covers every line before it, so signing the head signs
 * the whole log up to it. The prefix keeps these bytes from ever meaning
 * anything else (a line body always starts with `{`).
 */
function checkpointMessage(seq: number, hash: string): Buffer {
  return Buffer.from(`geoadmit-audit-checkpoint/1 ${seq} ${hash}`, 'utf8');
}

/** HMAC of a checkpoint with the chain's key (hex). */
export function checkpointMac(key: string | Uint8Array, seq: number, hash: string): string {
  return crypto.createHmac('sha256', key).update(checkpointMessage(seq, hash)).digest('hex');
}

/** Compare two hex or base64 strings in constant time. */
export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** SHA-256 of the public key's SPKI DER encoding, hex: what a report prints to name the key. */
export function publicKeyFingerprint(key: crypto.KeyObject): string {
  const der = key.export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha256').update(der).digest('hex');
}

function describe(value: unknown): string {
  return typeof value === 'string' ? 'text that is not a PEM key' : typeof value;
}

/**
 * The sink's `signingKey`: an Ed25519 private `KeyObject`, or PKCS#8 PEM text.
 * @throws GeoadmitError `E_INVALID_CONFIG` for anything else.
 */
export function privateSigningKey(value: unknown, argument = 'signingKey'): crypto.KeyObject {
  let key: crypto.KeyObject;
  if (value instanceof crypto.KeyObject) key = value;
  else if (typeof value === 'string' || Buffer.isBuffer(value)) {
    try {
      key = crypto.createPrivateKey({ key: value, format: 'pem' });
    } catch (error) {
      throw new GeoadmitError(ErrorCode.InvalidConfig, `${argument} must be an Ed25519 private key (PKCS#8 PEM): ${(error as Error).message}`, {
        argument,
      });
    }
  } else {
    throw new GeoadmitError(ErrorCode.InvalidConfig, `${argument} must be an Ed25519 private key (KeyObject or PKCS#8 PEM), got ${describe(value)}`, {
      argument,
    });
  }
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') {
    throw new GeoadmitError(
      ErrorCode.InvalidConfig,
      `${argument} must be an Ed25519 private key, got a ${key.asymmetricKeyType ?? 'symmetric'} ${key.type} key`,
      { argument },
    );
  }
  return key;
}

/**
 * `verifyAuditLog`'s `publicKey`: an Ed25519 public `KeyObject` or SPKI PEM
 * text (a private key is accepted too: its public half is used).
 * @throws GeoadmitError `E_INVALID_CONFIG` for anything else.
 */
export function publicVerifyKey(value: unknown, argument = 'publicKey'): crypto.KeyObject {
  let key: crypto.KeyObject;
  if (value instanceof crypto.KeyObject) key = value.type === 'private' ? crypto.createPublicKey(value) : value;
  else if (typeof value === 'string' || Buffer.isBuffer(value)) {
    try {
      key = crypto.createPublicKey({ key: value, format: 'pem' });
    } catch (error) {
      throw new GeoadmitError(ErrorCode.InvalidConfig, `${argument} must be an Ed25519 public key (SPKI PEM): ${(error as Error).message}`, {
        argument,
      });
    }
  } else {
    throw new GeoadmitError(ErrorCode.InvalidConfig, `${argument} must be an Ed25519 public key (KeyObject or SPKI PEM), got ${describe(value)}`, {
      argument,
    });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new GeoadmitError(ErrorCode.InvalidConfig, `${argument} must be an Ed25519 key, got ${key.asymmetricKeyType ?? 'a symmetric key'}`, {
      argument,
    });
  }
  return key;
}

/** Signs checkpoints with the sink's key. */
export interface CheckpointSigner {
  readonly fingerprint: string;
  /** The public half: what the sink checks an existing log's signatures with before continuing it. */
  readonly publicKey: crypto.KeyObject;
  sign(seq: number, hash: string): string;
}

export function checkpointSigner(key: crypto.KeyObject): CheckpointSigner {
  const publicKey = crypto.createPublicKey(key);
  const fingerprint = publicKeyFingerprint(publicKey);
  return {
    fingerprint,
    publicKey,
    sign: (seq, hash) => crypto.sign(null, checkpointMessage(seq, hash), key).toString('base64'),
  };
}

/** Whether `signature` (base64) signs the position `seq`/`hash` with `key`. Never throws on hostile input. */
export function verifyCheckpointSignature(key: crypto.KeyObject, seq: number, hash: string, signature: unknown): boolean {
  if (typeof signature !== 'string' || !/^[A-Za-z0-9+/]{86}==$/.test(signature)) return false;
  try {
    return crypto.verify(null, checkpointMessage(seq, hash), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** A fresh Ed25519 key pair as PEM text (`geoadmit audit keygen`). */
export function generateSigningKeyPair(): { privateKeyPem: string; publicKeyPem: string; fingerprint: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    fingerprint: publicKeyFingerprint(publicKey),
  };
}
