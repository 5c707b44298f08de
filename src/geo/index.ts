export * from './types.js';
export * from './maxmind.js';
