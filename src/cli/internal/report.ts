import { type CliContext, CliUsageError } from './context.js';

/** Options of `geoadmit report`. */
export interface ReportOptions {
  format: 'md' | 'json' | 'html';
  from?: string;
  to?: string;
  output?: string;
  json?: boolean;
}

/** `geoadmit report`: placeholder until the report module lands. */
export async function runReport(_ctx: CliContext, _files: readonly string[], _options: ReportOptions): Promise<number> {
  throw new CliUsageError('report: not available yet');
}
