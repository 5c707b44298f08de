export * from './types.js';
export * from './gate.js';
export type { Clock } from './clock.js';
