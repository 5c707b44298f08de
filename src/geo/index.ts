export * from './types.js';
export * from './maxmind.js';
export * from './static.js';
export * from './overlay.js';
export { unknownLocation } from './location.js';
