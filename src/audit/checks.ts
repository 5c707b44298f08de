/**
 * What the report and the command line need to check logs the way the
 * verifier does: linking rotated files into one chain, reading a checkpoint,
 * and turning a public key into the key and fingerprint that verify. Not part
 * of the public API (the package's entries do not export it); other folders
 * import it here instead of reaching into this folder's internal/ files.
 */
export { linkChain } from './internal/chain.js';
export { parseCheckpoint } from './internal/record.js';
export { publicKeyFingerprint, publicVerifyKey } from './internal/signing.js';
