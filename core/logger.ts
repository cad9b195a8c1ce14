/**
 * Structured JSON logs, one object per line on stdout (CloudWatch Logs parses them).
 * Errors are flattened to `{name, message}`; nothing here ever logs configuration secrets.
 */

import { redactSecrets } from './redact';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go (default: process.stdout). */
  write?: (line: string) => void;
  service?: string;
  now?: () => number;
}

/** Field values as logged: errors as name and message, and no credential in any text (core/redact.ts). */
function plain(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: redactSecrets(value.message) };
  if (typeof value === 'string') return redactSecrets(value);
  return value;
}

export function createLogger(options: LoggerOptions = {}, base: LogFields = {}): Logger {
  const min = RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const now = options.now ?? Date.now;
  const emit = (level: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields): void => {
    if (RANK[level] < min) return;
    const entry: LogFields = { level, time: new Date(now()).toISOString(), service: options.service ?? 'ingest-task', message: redactSecrets(message), ...base };
    if (fields) for (const [k, v] of Object.entries(fields)) entry[k] = plain(v);
    write(JSON.stringify(entry));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

export const silentLogger: Logger = createLogger({ level: 'silent' });
