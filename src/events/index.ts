export type * from './types.js';
export { GATE_EVENT_TYPES } from './types.js';
