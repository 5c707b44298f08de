#!/usr/bin/env node
/** Executable entry of the `geoadmit` command (built to `dist/cli.js`). */
import { runCli } from './index.js';

// A closed pipe (`geoadmit replay ... | head`) is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2));
