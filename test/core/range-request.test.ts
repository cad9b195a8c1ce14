import { parseRangeRequest, previousHours, RangeRequestError } from '../../core/range-request';

const T = Date.UTC(2024, 2, 1);
const HOUR = 3_600_000;

describe('parseRangeRequest', () => {
  it('reads ISO times with a zone and epoch milliseconds', () => {
    expect(parseRangeRequest({ from: '2024-03-01T00:00:00Z', to: '2024-03-01T02:00:00+01:00' })).toStrictEqual({ from: T, to: T + HOUR });
    expect(parseRangeRequest({ from: T, to: T + HOUR })).toStrictEqual({ from: T, to: T + HOUR });
  });

  it('asks for no range when the event has neither field (a scheduled event)', () => {
    expect(parseRangeRequest({ source: 'aws.events', 'detail-type': 'Scheduled Event' })).toBeUndefined();
    expect(parseRangeRequest(undefined)).toBeUndefined();
  });

  it.each([
    [{ from: '2024-03-01T00:00:00Z' }, /both "from" and "to"/],
    [{ from: '2024-03-01', to: '2024-03-02' }, /"from" must be an ISO 8601 time with a zone/],
    [{ from: '2024-03-01T01:00:00Z', to: '2024-03-01T01:00:00Z' }, /must be after/],
    [{ from: T, to: T + 3 * HOUR }, /more than 2 h/],
  ])('rejects %j', (event, message) => {
    expect(() => parseRangeRequest(event, 2 * HOUR)).toThrow(RangeRequestError);
    expect(() => parseRangeRequest(event, 2 * HOUR)).toThrow(message);
  });
});

describe('previousHours', () => {
  it('gives the previous UTC day to a daily run just after midnight', () => {
    expect(previousHours(T + 24 * HOUR + 15 * 60_000, 24)).toStrictEqual({ from: T, to: T + 24 * HOUR });
  });

  it('ends at the last whole hour', () => {
    expect(previousHours(T + 5 * HOUR + 59 * 60_000, 2)).toStrictEqual({ from: T + 3 * HOUR, to: T + 5 * HOUR });
  });
});
