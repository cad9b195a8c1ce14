import { encodeSourceCount, planMinuteReads, qualityInputFromHours, type HourPlanInput } from '../../core/quality';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2024, 2, 1);

function bars(counts: (number | undefined)[]): Uint8Array {
  return Uint8Array.from(counts.map((c) => (c === undefined ? 0 : encodeSourceCount(c))));
}

describe('bounded report reads', () => {
  const window = { from: T0, to: T0 + 3 * HOUR };

  it('reads minutes only where a market is expected and its hour bar is not full', () => {
    const input: HourPlanInput = {
      window,
      periods: new Map([
        ['FULL', [window]],
        ['HOLE', [window]],
        ['HALTED', []],
      ]),
      bars: new Map([
        ['FULL', bars([60, 60, 60])],
        ['HOLE', bars([60, 57, undefined])],
        ['HALTED', bars([3, undefined, undefined])],
      ]),
      unresampled: [],
      unresampledCounts: new Map(),
    };

    const reads = planMinuteReads(input);

    expect([...reads]).toStrictEqual([['HOLE', [{ from: T0 + HOUR, to: T0 + 3 * HOUR }]]]);
  });

  it('counts full hours as present and skipped hours by their bar, without reading them', () => {
    const input: HourPlanInput = {
      window,
      periods: new Map([
        ['HOLE', [window]],
        ['HALTED', []],
      ]),
      bars: new Map([
        ['HOLE', bars([60, 57, 60])],
        ['HALTED', bars([3, undefined, undefined])],
      ]),
      unresampled: [],
      unresampledCounts: new Map(),
    };
    const readGaps = new Map([['HOLE', [{ from: T0 + HOUR + 10 * MINUTE, to: T0 + HOUR + 13 * MINUTE }]]]);

    const { counts, gaps } = qualityInputFromHours(input, readGaps);

    expect(counts.get('HOLE')).toBe(177);
    expect(gaps.get('HOLE')).toStrictEqual([{ from: T0 + HOUR + 10 * MINUTE, to: T0 + HOUR + 13 * MINUTE }]);
    expect(counts.get('HALTED')).toBe(3);
  });

  it('reads every market with data or expected in hours no bar exists for yet, and a bar of unknown completeness counts as none', () => {
    const input: HourPlanInput = {
      window,
      periods: new Map([['A', [window]]]),
      bars: new Map([['A', Uint8Array.from([encodeSourceCount(undefined), encodeSourceCount(60), 0])]]),
      unresampled: [{ from: T0 + 2 * HOUR, to: T0 + 3 * HOUR }],
      unresampledCounts: new Map([['NEW', 12]]),
    };

    const reads = planMinuteReads(input);

    expect(reads.get('A')).toStrictEqual([
      { from: T0, to: T0 + HOUR },
      { from: T0 + 2 * HOUR, to: T0 + 3 * HOUR },
    ]);
    expect(reads.get('NEW')).toStrictEqual([{ from: T0 + 2 * HOUR, to: T0 + 3 * HOUR }]);
  });

  it('a window that cuts an hour reads the cut hour unless its bar is full', () => {
    const cut = { from: T0 + 30 * MINUTE, to: T0 + 2 * HOUR };
    const input: HourPlanInput = {
      window: cut,
      periods: new Map([['A', []]]),
      bars: new Map([['A', bars([40, 60])]]),
      unresampled: [],
      unresampledCounts: new Map(),
    };

    expect(planMinuteReads(input).get('A')).toStrictEqual([{ from: T0 + 30 * MINUTE, to: T0 + HOUR }]);
  });
});
