import { emfLine, EmfPublisher } from '../../ingest-task/metrics';
import { createLogger } from '../../core/logger';

describe('EMF metrics', () => {
  it('writes one CloudWatch embedded-metric-format line naming each metric, its unit and value', () => {
    const line = JSON.parse(emfLine([{ name: 'OpenConnections', value: 3, unit: 'Count' }, { name: 'SinkLatency', value: 12.5, unit: 'Milliseconds' }], 'KlineCapture', 'ingest-task', 1_700_000_000_000));
    expect(line).toEqual({
      _aws: { Timestamp: 1_700_000_000_000, CloudWatchMetrics: [{ Namespace: 'KlineCapture', Dimensions: [['Service']], Metrics: [{ Name: 'OpenConnections', Unit: 'Count' }, { Name: 'SinkLatency', Unit: 'Milliseconds' }] }] },
      Service: 'ingest-task',
      OpenConnections: 3,
      SinkLatency: 12.5,
    });
  });

  it('publishes nothing for an empty set', () => {
    const lines: string[] = [];
    new EmfPublisher({ namespace: 'N', service: 's', write: (l) => lines.push(l) }).publish([]);
    expect(lines).toEqual([]);
  });
});

describe('logger', () => {
  it('writes JSON lines at or above its level, with errors flattened and child fields kept', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (l) => lines.push(l), now: () => 0 }).child({ shard: 2 });
    log.debug('hidden');
    log.warn('lost', { error: new RangeError('boom') });
    expect(lines.map((l) => JSON.parse(l))).toEqual([{ level: 'warn', time: '1970-01-01T00:00:00.000Z', service: 'ingest-task', message: 'lost', shard: 2, error: { name: 'RangeError', message: 'boom' } }]);
  });
});
