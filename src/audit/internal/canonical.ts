// Canonical JSON is shared with the gate (document digests): it lives in src/internal/.
export { canonicalJson } from '../../internal/canonical-json.js';
