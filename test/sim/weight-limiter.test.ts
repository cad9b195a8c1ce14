import { DEFAULT_LIMITS } from '../../sim/options';
import { WeightLimiter } from '../../sim/weight-limiter';

function limiter(overrides: Partial<typeof DEFAULT_LIMITS> = {}) {
  let now = 1_000_000 * 60_000; // on a window boundary
  const l = new WeightLimiter({ ...DEFAULT_LIMITS, requestWeightPerWindow: 10, weightWindowMs: 60_000, ignoredBackoffsBeforeBan: 2, banBaseMs: 120_000, ...overrides }, () => now);
  return { l, advance: (ms: number) => (now += ms) };
}

describe('REST weight limiter', () => {
  it('admits requests up to the limit and refuses the next with 429 until the window ends', () => {
    const { l, advance } = limiter();

    const admitted = [l.admit('a', 4), l.admit('a', 4), l.admit('a', 2)];
    advance(15_000);
    const refused = l.admit('a', 1);

    expect(admitted.map((d) => d.kind)).toEqual(['ok', 'ok', 'ok']);
    expect(admitted[2]).toEqual({ kind: 'ok', usedWeight: 10 });
    expect(refused).toEqual({ kind: 'limited', status: 429, usedWeight: 10, retryAfterSeconds: 45 });
  });

  it('starts a fresh window at the next window boundary', () => {
    const { l, advance } = limiter();
    l.admit('a', 10);
    l.admit('a', 1);

    advance(60_000);

    expect(l.admit('a', 3)).toEqual({ kind: 'ok', usedWeight: 3 });
  });

  it('counts weight per IP', () => {
    const { l } = limiter();
    l.admit('a', 10);

    expect(l.admit('b', 10).kind).toBe('ok');
    expect(l.used('a')).toBe(10);
  });

  it('bans with 418 a client that keeps requesting during the back-off, longer each time', () => {
    const { l, advance } = limiter();
    l.admit('a', 10);
    l.admit('a', 1); // 429, back off until the window ends

    const ignored = [l.admit('a', 1), l.admit('a', 1), l.admit('a', 1)];
    advance(119_000);
    const stillBanned = l.admit('a', 1);
    advance(2_000);
    const afterBan = l.admit('a', 1);
    const overAgain = l.admit('a', 10);
    const secondBan = [l.admit('a', 1), l.admit('a', 1), l.admit('a', 1)];

    expect(ignored.map((d) => (d.kind === 'limited' ? d.status : 200))).toEqual([429, 429, 418]);
    expect(ignored[2]).toMatchObject({ retryAfterSeconds: 120 });
    expect(stillBanned).toMatchObject({ status: 418, retryAfterSeconds: 1 });
    expect(afterBan.kind).toBe('ok');
    expect(overAgain).toMatchObject({ status: 429 });
    expect(secondBan[2]).toMatchObject({ status: 418, retryAfterSeconds: 240 });
    expect([l.count429, l.count418]).toEqual([6, 3]);
  });
});
