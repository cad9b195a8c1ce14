/**
 * `npm run cli -- <command> [args]`: tools for Binance's public kline dumps and the store.
 * Each command lives in `bin/commands/<name>.ts` and exports `run(argv, io)` → exit code;
 * it is loaded only when asked for, so one command's dependencies never slow another.
 */

/** Where a command writes. Tests pass in-memory streams. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface Command {
  run(argv: string[], io: CliIo): Promise<number>;
  /** The command's own usage text (every option), printed by `<command> --help`. */
  USAGE?: string;
}

interface CommandEntry {
  synopsis: string;
  summary: string;
  load: () => Promise<Command>;
}

/** Every command the CLI knows. Modules load on demand, typed: each must export a matching `run`. */
const COMMANDS: Record<string, CommandEntry> = {
  resample: {
    synopsis: 'resample --to 3m…1d|3d|1w|1M [--time-zone ±HH:MM] [--out FILE] FILE.csv',
    summary: 'resample a data.binance.vision kline CSV (or its .zip), streaming; writes the same 12-column CSV to stdout',
    load: () => import('./commands/resample'),
  },
  import: {
    synopsis: 'import FILE.csv... [--store URL] [--symbol S] [--batch N]',
    summary: 'load kline dumps (.csv or .zip) into the store; idempotent',
    load: () => import('./commands/import'),
  },
  store: {
    synopsis: 'store migrate|check [--store URL] [--retention-days N | --no-retention]',
    summary: 'apply (migrate) or compare (check) the store schema: collections, indexes, views, 1m TTL; idempotent',
    load: () => import('./commands/store'),
  },
  history: {
    synopsis: 'history [--market-type T] [--symbols A,B] [--from DATE] [--to DATE] [--store URL]',
    summary: 'fill the store from data.binance.vision (checksummed), REST for unpublished days; resumable',
    load: () => import('./commands/history'),
  },
  export: {
    synopsis: 'export --interval I --from ISO --to ISO [--format csv|parquet] [--store URL] [--market-type T] [--symbols A,B] [--time-zone ±HH:MM] [--monthly] [--out DIR]',
    summary: 'stored klines as data.binance.vision CSVs or partitioned Parquet; resumable',
    load: () => import('./commands/export'),
  },
  audit: {
    synopsis: 'audit --date YYYY-MM-DD [--market-type T] [--symbols A,B] [--store URL] [--out DIR]',
    summary: "compare a day with Binance's dump minute by minute; repair missing minutes, list differences",
    load: () => import('./commands/audit'),
  },
  report: {
    synopsis: 'report --from ISO --to ISO [--store URL] [--out DIR]',
    summary: 'write the data-quality report (CSV + HTML) and print its summary line',
    load: () => import('./commands/report'),
  },
};

const STORE_URLS =
  'Store URLs: sqlite:PATH (default sqlite:./data/klines.db, or KLINE_STORE), mongodb://… or mongodb+srv://…\n' +
  'Without --store: the MongoDB URI in the Secrets Manager secret MONGODB_SECRET_ARN names (database MONGODB_DATABASE), else KLINE_STORE / MONGODB_URI';

export function usage(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => COMMANDS[n].synopsis.length));
  return [
    'usage: npm run -s cli -- <command> [args]   (-s keeps npm\'s banner out of stdout)',
    '',
    'commands:',
    ...names.map((n) => `  ${COMMANDS[n].synopsis.padEnd(width)}  ${COMMANDS[n].summary}`),
    '',
    STORE_URLS,
    '',
  ].join('\n');
}

/** `<command> --help`: the command's own usage text (its synopsis where it has none) and summary. */
export async function commandUsage(name: string): Promise<string> {
  const { synopsis, summary, load } = COMMANDS[name];
  const usage = (await load()).USAGE ?? `usage: npm run -s cli -- ${synopsis}\n`;
  return `${usage}\n${summary}\n\n${STORE_URLS}\n`;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'help' || name === '--help' || name === '-h') {
    io.stdout.write(usage());
    return 0;
  }
  if (name === undefined || !Object.hasOwn(COMMANDS, name)) {
    io.stderr.write(`${name === undefined ? 'no command given' : `unknown command "${name}"`}\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(await commandUsage(name));
    return 0;
  }
  return (await COMMANDS[name].load()).run(rest, io);
}

/** Run with the process's arguments and streams (from `tsx bin/cli.ts` or the bundle's launcher bin/run-cli.js). */
export function runFromCommandLine(): void {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
    (code) => {
      // exitCode, not exit(): let piped stdout drain first.
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

if (require.main === module) runFromCommandLine();
