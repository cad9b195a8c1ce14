import * as core from '../../core/metric-names';
import * as names from '../../lib/names';

describe('metric names the alarms watch', () => {
  it('are the very constants the ingest task and the Lambdas emit with (one module, no copies)', () => {
    expect(names.METRICS_NAMESPACE).toBe(core.METRICS_NAMESPACE);
    expect(names.LAMBDA_DIMENSIONS).toBe(core.LAMBDA_DIMENSIONS);
    expect(names.INGEST_DIMENSIONS).toBe(core.INGEST_DIMENSIONS);
    expect(names.INGEST_METRIC).toBe(core.INGEST_METRIC);
    expect(names.METRIC).toBe(core.METRIC);
  });
});
