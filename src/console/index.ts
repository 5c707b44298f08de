/**
 * `geoadmit/console`: the operator console — a page where a demand is
 * previewed, confirmed, lifted and reported, with its JSON API, mounted in
 * any Node server.
 */
export { createConsole } from './console.js';
export type { ConsoleAuditLog, ConsoleHandler, ConsoleOptions } from './types.js';
