import { checkLocalEnv, parseLocalArgs, simMarkets, UsageError } from '../../../bin/local/args';

describe('parseLocalArgs', () => {
  it('defaults to live Binance with hourly reports', () => {
    const o = parseLocalArgs([]);
    expect(o.sim).toBe(false);
    expect(o.reportEveryMinutes).toBe(60);
    expect(o.durationSeconds).toBeUndefined();
  });

  it('gives --sim a few hundred markets on an accelerated clock and quarter-hourly reports', () => {
    const o = parseLocalArgs(['--sim']);
    expect(o).toMatchObject({ sim: true, markets: 300, speed: 60, reportEveryMinutes: 15 });
  });

  it('reads every sim flag', () => {
    const o = parseLocalArgs(['--sim', '--markets', '1500', '--speed', '600', '--faults', 'drop, stall', '--seed', '7', '--duration', '12.5']);
    expect(o).toMatchObject({ markets: 1500, speed: 600, faults: ['drop', 'stall'], seed: 7, durationSeconds: 12.5 });
  });

  it.each([
    [['--markets', '0', '--sim'], /--markets needs a positive integer/],
    [['--sim', '--speed', 'fast'], /--speed needs a positive number/],
    [['--duration'], /--duration needs a positive number, got ""/],
    [['--bogus'], /unknown option "--bogus"/],
    [['--markets', '10'], /--markets only apply with --sim/],
  ])('rejects %j with a message naming the flag', (argv, message) => {
    expect(() => parseLocalArgs(argv)).toThrow(UsageError);
    expect(() => parseLocalArgs(argv)).toThrow(message);
  });
});

describe('--sim with per-type settings', () => {
  const sim = parseLocalArgs(['--sim']);

  it("refuses each futures type's endpoints and filters, which the simulator replaces, naming the setting", () => {
    for (const name of ['BINANCE_USDM_REST_URL', 'BINANCE_COINM_STREAM_URL', 'MARKETS_USDM_SYMBOLS', 'MARKETS_COINM_QUOTE_ASSETS', 'MARKETS_SPOT_SYMBOLS']) {
      expect(() => checkLocalEnv(sim, { [name]: 'x' })).toThrow(new RegExp(`^${name} does not apply with --sim`));
    }
    // Live, they are the task's settings and pass.
    expect(() => checkLocalEnv(parseLocalArgs([]), { BINANCE_USDM_REST_URL: 'https://fapi.binance.com', MARKETS_COINM_SYMBOLS: 'BTCUSD_PERP' })).not.toThrow();
    // MARKET_TYPES applies to both.
    expect(() => checkLocalEnv(sim, { MARKET_TYPES: 'usdm' })).not.toThrow();
  });

  it('--markets N gives N spot, N/3 USDⓈ-M and N/10 COIN-M markets, at least one each', () => {
    expect([simMarkets('spot', 300), simMarkets('usdm', 300), simMarkets('coinm', 300)]).toEqual([300, 100, 30]);
    expect([simMarkets('spot', 1), simMarkets('usdm', 1), simMarkets('coinm', 1)]).toEqual([1, 1, 1]);
  });
});
