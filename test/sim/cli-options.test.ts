import { parseSimArgs, UsageError } from '../../sim/cli-options';

describe('npm run sim arguments', () => {
  it('reads port, markets, speed, seed, start and faults', () => {
    const o = parseSimArgs(['--port', '9000', '--markets=2000', '--speed', '60', '--seed', 'abc', '--start', '2026-02-01T00:00:00Z', '--faults', 'drop,late']);

    expect(o).toMatchObject({ port: 9000, markets: 2000, speed: 60, seed: 'abc', startTime: Date.UTC(2026, 1, 1) });
    expect(o.faults).toEqual({ dropPerMinute: expect.any(Number), late: expect.any(Number), lateDelayMs: expect.any(Number) });
  });

  it('turns every fault on with --faults all', () => {
    const o = parseSimArgs(['--faults', 'all']);

    expect(Object.keys(o.faults ?? {}).sort()).toEqual(['dropPerMinute', 'duplicate', 'late', 'lateDelayMs', 'malformed', 'reorder', 'restErrors', 'shutdownPerMinute', 'stallPerMinute']);
  });

  it('adds listings, breaks, halts and delistings with --churn', () => {
    expect(parseSimArgs(['--churn']).churn).toEqual({ listings: 3, breaks: 3, halts: 1, delistings: 2 });
  });

  it.each([
    [['--faults', 'drop,explode'], /unknown fault "explode"/],
    [['--speed', 'fast'], /--speed needs a number/],
    [['--colour'], /unknown argument "--colour"/],
    [['--start', 'someday'], /--start needs an ISO date/],
  ])('rejects %j with a usage error', (argv, message) => {
    expect(() => parseSimArgs(argv)).toThrow(UsageError);
    expect(() => parseSimArgs(argv)).toThrow(message);
  });
});
