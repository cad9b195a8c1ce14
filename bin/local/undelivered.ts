/**
 * Klines and market events the pipeline accepted but could not store before a stop's deadline
 * (store unavailable). They are kept in a file as the exact message bodies the writer takes, one
 * JSON line each, and stored first by the next start: nothing accepted is silently dropped.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { encodeBatch, type IngestBatch } from '../../core/codec';
import type { KlineStore } from '../../core/store/port';
import type { Logger } from '../../core/logger';
import { writeMessages } from '../../lambda/writer';

export interface KeptSummary {
  file: string;
  klines: number;
  marketEvents: number;
}

/** Append the batches to `file` (synchronously: also used for an immediate exit). */
export function keepUndelivered(file: string, batches: readonly IngestBatch[], reason: string): KeptSummary {
  let klines = 0;
  let marketEvents = 0;
  const lines: string[] = [];
  const at = new Date().toISOString();
  for (const b of batches) {
    klines += b.klines.length;
    marketEvents += b.marketEvents.length;
    for (const body of encodeBatch(b)) lines.push(JSON.stringify({ at, reason, body }));
  }
  if (lines.length > 0) {
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, lines.join('\n') + '\n');
  }
  return { file, klines, marketEvents };
}

/**
 * Store what an earlier run kept, before capture starts. Returns how many klines were stored;
 * throws (keeping the file) when the store does not take them, so the start fails loudly.
 */
export async function replayUndelivered(store: KlineStore, file: string, logger: Logger): Promise<number> {
  if (!existsSync(file)) return 0;
  const working = `${file}.replaying`;
  renameSync(file, working);
  const bodies = readFileSync(working, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return (JSON.parse(l) as { body: string }).body;
      } catch {
        throw new Error(`${file} line ${i + 1} is not a kept message; fix or remove the file`);
      }
    });
  const result = await writeMessages(
    store,
    bodies.map((body, i) => ({ id: `kept-${i + 1}`, body })),
    { error: (m, ...extra) => logger.error(m, Object.assign({}, ...extra)), warn: (m, ...extra) => logger.warn(m, Object.assign({}, ...extra)) },
  );
  if (result.failures.length > 0) {
    // Put them back (ahead of anything newer) and say so.
    const rest = existsSync(file) ? readFileSync(file, 'utf8') : '';
    writeFileSync(file, readFileSync(working, 'utf8') + rest);
    unlinkSync(working);
    throw new Error(`the store did not take ${result.failures.length} kept message(s) from ${file}: ${result.failures[0].reason}`);
  }
  unlinkSync(working);
  logger.info('kept klines stored', { file, messages: bodies.length, klines: result.klinesReceived });
  return result.klinesReceived;
}
