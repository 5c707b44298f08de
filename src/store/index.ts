export type * from './types.js';
export * from './memory.js';
