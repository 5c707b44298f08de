import { Command, type CommanderError, InvalidArgumentError, Option } from 'commander';
// Each command's code is imported when the command runs (`await import(...)` below), so `--help`,
// `--version` and a usage error load none of it: no geo database reader, no validation library.
import type { runAuditKeygen, runAuditVerify } from './audit.js';
import type { runBuildDb } from './build-db.js';
import type { runCheck } from './check.js';
import { type CliContext, CliExitCode, type CommonOptions } from './context.js';
import type { runLookup } from './lookup.js';
import type { runReplay } from './replay.js';
import type { runReport } from './report.js';
import type { runValidate } from './validate.js';
import { packageVersion } from './version.js';

/**
 * The optional database package, named in `--db`'s help. Written out rather than imported from the
 * geo code, which would load the database reader for `--help` (test/cli-load.test.ts checks they agree).
 */
export const DEFAULT_DB_PACKAGE = '@ip-location-db/geolite2-country-mmdb';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

function example(cmd: Command, lines: string): Command {
  return cmd.addHelpText('after', `\nExample:\n${lines}\n`);
}

/** `--json`, `--debug`, `--no-color` on every command. */
function common(cmd: Command): Command {
  return cmd.option('--json', 'machine-readable JSON output').option('--debug', 'print stack traces on errors').option('--no-color', 'never color the output');
}

/**
 * A repeatable option collecting its values into a list (empty by default).
 * The default is described once, in words: commander would otherwise append
 * "(default: [])" to a description that already says what the default is.
 */
function repeatable(flags: string, description: string, defaultDescription = 'none'): Option {
  return new Option(flags, description).argParser(collect).default([], defaultDescription);
}

/** `--db` on every command that reads geolocation data. */
function withDb(cmd: Command): Command {
  return cmd.addOption(repeatable('--db <path>', 'MaxMind DB (.mmdb) file; repeat to layer databases', `the ${DEFAULT_DB_PACKAGE} package when installed`));
}

/**
 * `--db` on the commands that read no geolocation data: every command takes
 * `--db`, so scripts can pass it uniformly; these accept and ignore it.
 */
function withUnusedDb(cmd: Command): Command {
  return cmd.addOption(repeatable('--db <path>', 'accepted for uniformity with the other commands; this one needs no geo data (ignored)'));
}

/**
 * Build the `geoadmit` program. `setCode` receives each command's exit code;
 * commands throw `CliUsageError` / `GeoadmitError` for exit 2.
 */
export function buildProgram(ctx: CliContext, setCode: (code: number) => void): Command {
  const program = new Command('geoadmit');
  const run =
    <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
    async (...args: A): Promise<void> => {
      // Commander passes (args..., options, command); options is second to last.
      const options = args[args.length - 2] as CommonOptions & { db?: string[] };
      ctx.configure(options);
      // Every command takes --db (so scripts pass it uniformly), and none may block on a FIFO or read a device: checked first, even where ignored.
      await (await import('./db.js')).refuseIrregularDatabases(ctx.cwd, options.db ?? []);
      setCode(await fn(...args));
    };

  program
    .description('Geo-fenced meeting admission: look up addresses, check joins, validate restrictions, preview their impact.')
    .configureOutput({
      writeOut: (s) => void ctx.io.stdout.write(s),
      writeErr: (s) => void ctx.io.stderr.write(s),
      // One line: what was wrong, and where to look.
      outputError: (s, write) => write(`geoadmit: ${s.replace(/^error: /, '').trimEnd()} (see --help)\n`),
    })
    .version(packageVersion(), '-V, --version', 'print the geoadmit version')
    .exitOverride()
    .helpCommand(true)
    .addHelpText('after', '\nExit codes: 0 fine, 1 denied or findings, 2 bad usage or unreadable input.\n');

  example(
    withDb(common(program.command('lookup').description('normalise addresses and show where the databases place them'))).argument(
      '<ip...>',
      'addresses (IPv4, IPv6, with port or zone; ambiguous spellings are refused)',
    ),
    '  $ geoadmit lookup 1.2.4.8 [2001:da8::1]:443 10.0.0.1',
  ).action(run(async (ips: string[], options: Parameters<typeof runLookup>[2]) => (await import('./lookup.js')).runLookup(ctx, ips, options)));

  example(
    withDb(common(program.command('check').description('decide one join against a restrictions file; exit 0 admitted, 1 denied')))
      .requiredOption('--restrictions <file>', 'restrictions JSON (an array or one document)')
      .requiredOption('--meeting <id>', 'meeting id')
      .option('--host <account>', 'host account id')
      .option('--participant <id>', 'participant id', 'cli')
      .option('--ip <addr>', "participant's address (the socket peer)")
      .option('--peer <addr>', 'socket peer address, when it is a proxy (use with --xff / --forwarded)')
      .addOption(repeatable('--xff <value>', 'X-Forwarded-For header value (repeatable)'))
      .addOption(repeatable('--forwarded <value>', 'RFC 7239 Forwarded header value (repeatable)'))
      .addOption(repeatable('--trusted-proxy <cidr>', 'CIDR whose forwarded headers are believed (repeatable)'))
      .option('--at <time>', 'evaluate restrictions at this instant: a date (midnight UTC) or a date-time with a zone (default: now)'),
    '  $ geoadmit check --restrictions orders.json --meeting m-1001 --ip 1.2.4.8\n' +
      '  $ geoadmit check --restrictions orders.json --meeting m-1001 --peer 10.0.0.5 --xff 1.2.4.8 --trusted-proxy 10.0.0.0/8',
  ).action(run(async (options: Parameters<typeof runCheck>[1]) => (await import('./check.js')).runCheck(ctx, options)));

  example(
    withDb(common(program.command('validate').description('list every problem in a restrictions file with its JSON path; exit 1 if any')))
      .argument('<restrictions.json>', 'restrictions JSON (an array or one document)')
      .option('--at <time>', 'say which restrictions are not active at this instant (a date, or a date-time with a zone; default: now)'),
    '  $ geoadmit validate orders.json',
  ).action(run(async (file: string, options: Parameters<typeof runValidate>[2]) => (await import('./validate.js')).runValidate(ctx, file, options)));

  example(
    withDb(
      common(
        program
          .command('replay')
          .description('run a join log (JSON Lines) through the restrictions: decisions and per-restriction impact; exit 1 if any join would be denied'),
      ),
    )
      .argument('<joins.jsonl>', 'join log, one JSON join per line as admit() takes it; - for stdin')
      .requiredOption('--restrictions <file>', 'restrictions JSON (an array or one document)')
      .option('--decisions <file>', 'write each decision as JSON Lines to this file (- for stdout; the summary then goes to stderr)')
      .option('--at <time>', 'evaluate restrictions at this instant: a date (midnight UTC) or a date-time with a zone (default: now)')
      .addOption(repeatable('--trusted-proxy <cidr>', 'CIDR whose forwarded headers are believed (repeatable)'))
      .option('--max-meetings <n>', 'distinct meetings counted exactly per restriction (beyond: lower bounds)', positiveInteger, 100_000)
      .option('--max-line-bytes <n>', 'longer lines are counted as malformed', positiveInteger, 65_536)
      .option('--no-progress', 'no progress bar even on a terminal')
      .addOption(new Option('--stats', 'add timing and peak memory to the summary').hideHelp()),
    '  $ geoadmit replay joins.jsonl --restrictions new-order.json --decisions decisions.jsonl\n' +
      '  $ zcat joins.jsonl.gz | geoadmit replay - --restrictions new-order.json --json',
  ).action(run(async (file: string, options: Parameters<typeof runReplay>[2]) => (await import('./replay.js')).runReplay(ctx, file, options)));

  example(
    withUnusedDb(
      common(program.command('build-db').description('write a .mmdb (GeoIP2-City layout) from an RFC 8805 geofeed or a cidr,country[,subdivision] CSV'))
        .argument('<input.csv>', 'geofeed (prefix,country,region,city,postal) or cidr,country[,subdivision]')
        .requiredOption('-o, --output <file>', 'the .mmdb file to write (replaced atomically)')
        .option('--most-specific-wins', 'allow overlapping prefixes; the more specific one answers inside it'),
    ),
    '  $ geoadmit build-db geofeed.csv -o corrections.mmdb\n  $ geoadmit lookup --db corrections.mmdb 192.0.2.1',
  ).action(run(async (file: string, options: Parameters<typeof runBuildDb>[2]) => (await import('./build-db.js')).runBuildDb(ctx, file, options)));

  example(
    withUnusedDb(
      common(program.command('report').description('transparency report from audit logs (verified first); exit 1 when a log does not verify'))
        .argument('<audit.jsonl...>', 'audit log files')
        .addOption(new Option('--format <format>', 'output format').choices(['md', 'json', 'html']).default('md'))
        .option('--from <time>', 'period start (ISO 8601)')
        .option('--to <time>', 'period end (ISO 8601)')
        .option('-o, --output <file>', 'write the report to this file instead of stdout')
        .option('--key-env <name>', 'environment variable holding the HMAC key the logs were written with')
        .addOption(
          repeatable(
            '--public-key <file>',
            'public key (SPKI PEM) the signatures are checked with; LOG=FILE for one log (repeatable); without it signatures show as "not checked"',
          ),
        )
        .addOption(repeatable('--name <log=name>', 'what the report calls a log, as LOG=NAME (repeatable; server paths never appear)', 'its file name'))
        .option('--no-progress', 'no progress bar even on a terminal'),
    ),
    '  $ geoadmit report audit.jsonl --public-key audit-signing.pub --format html --from 2020-06-01 --to 2020-07-01 -o report.html\n' +
      '  $ geoadmit report a/audit.jsonl b/audit.jsonl --public-key a/audit.jsonl=a.pub --public-key b/audit.jsonl=b.pub --name a/audit.jsonl=node-a',
  ).action(run(async (files: string[], options: Parameters<typeof runReport>[2]) => (await import('./report.js')).runReport(ctx, files, options)));

  const audit = program.command('audit').description('audit log tools');
  example(
    withUnusedDb(
      common(audit.command('verify').description('check the hash chain of audit logs; exit 1 when a line was edited, removed or reordered'))
        .argument('<file...>', 'audit log files')
        .option('--key-env <name>', 'environment variable holding the HMAC key the log was written with')
        .addOption(repeatable('--public-key <file>', 'public key (SPKI PEM) of a signed log: every signature must verify; LOG=FILE for one log (repeatable)'))
        .option('--expect-head <seq:hash>', 'a head published earlier (e.g. in a transparency report): the log must contain it')
        .option('--no-checkpoint', 'ignore the <file>.checkpoint file')
        .option('--no-progress', 'no progress bar even on a terminal'),
    ),
    '  $ geoadmit audit verify audit.jsonl\n  $ AUDIT_KEY=... geoadmit audit verify --key-env AUDIT_KEY audit.jsonl\n' +
      '  $ geoadmit audit verify audit.jsonl --public-key audit-signing.pub --expect-head 1042:9f86d0…',
  ).action(run(async (files: string[], options: Parameters<typeof runAuditVerify>[2]) => (await import('./audit.js')).runAuditVerify(ctx, files, options)));
  example(
    withUnusedDb(
      common(audit.command('keygen').description('make an Ed25519 key pair for signed audit logs')).requiredOption(
        '--out <dir>',
        'directory for audit-signing.key (private, mode 0600) and audit-signing.pub (public)',
      ),
    ),
    '  $ geoadmit audit keygen --out /etc/geoadmit',
  ).action(run(async (options: Parameters<typeof runAuditKeygen>[1]) => (await import('./audit.js')).runAuditKeygen(ctx, options)));

  return program;
}

/** Exit code for an error commander raised (help shown: 0; bad usage: 2). */
export function commanderExit(error: CommanderError): number {
  if (error.exitCode === 0) return CliExitCode.Ok;
  return CliExitCode.Usage;
}
