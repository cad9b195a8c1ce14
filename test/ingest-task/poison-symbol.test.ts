/**
 * A market listed with a symbol that breaks the symbol rule, through the real REST and websocket
 * path of the simulator: it is refused at discovery (logged once with its reason) and every
 * other market's klines and status events keep flowing.
 */
import { createLogger } from '../../core/logger';
import { startIngest } from '../../ingest-task/capture/ingest';
import { startSimulator, type Simulator } from '../../sim/index';
import { recordingSink, waitCaughtUp } from './harness';

const START = Date.UTC(2026, 0, 5);

describe('a poison symbol listed on the exchange', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({
      markets: 12,
      speed: 300,
      seed: 9,
      startTime: START,
      lifecycle: [
        { symbol: 'BAD USDT', at: START - 3_600_000, status: 'TRADING' },
        { symbol: 'EVIL!USDT', at: START - 3_600_000, status: 'TRADING' },
      ],
    });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('is refused at discovery with its reason while every other market is captured', async () => {
    // Prepare
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', write: (l) => lines.push(l) });
    const { sink, klines, events } = recordingSink();

    // Act
    const ingest = await startIngest({ restUrl: sim.restUrl, streamUrl: sim.streamUrl, sink, flushIntervalMs: 50, logger });
    const caughtUp = await waitCaughtUp(ingest, START + 2 * 60_000, 30_000);
    await ingest.stop();

    // Assess
    expect(caughtUp).toBe(true);
    const good = sim.symbols().filter((s) => s !== 'BAD USDT' && s !== 'EVIL!USDT');
    expect(good.length).toBeGreaterThanOrEqual(12);
    expect(new Set(events.map((e) => e.symbol))).toStrictEqual(new Set(good));
    expect(new Set(klines.map((k) => k.symbol))).toStrictEqual(new Set(good));
    const refused = lines.map((l) => JSON.parse(l)).filter((l) => l.message.startsWith('market refused'));
    expect(refused.map((l) => [l.symbol, l.reason])).toStrictEqual([
      ['BAD USDT', expect.stringContaining('contains " "')],
      ['EVIL!USDT', expect.stringContaining('contains "!"')],
    ]);
  });
});
