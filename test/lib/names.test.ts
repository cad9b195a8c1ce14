import * as core from '../../core/metric-names';
import { LAMBDA_METRICS_SERVICE, METRICS_NAMESPACE, METRIC_NAMES } from '../../lib/names';

// lib/ may import only types from core/, so it repeats the metric names its alarms watch.
describe('metric names the alarms watch', () => {
  it('match the names the Lambdas publish (core/metric-names.ts)', () => {
    expect(METRICS_NAMESPACE).toBe(core.METRICS_NAMESPACE);
    expect(LAMBDA_METRICS_SERVICE).toBe(core.METRICS_SERVICE);
    expect(METRIC_NAMES.completenessPercent).toBe(core.METRIC.completenessPercent);
  });
});
