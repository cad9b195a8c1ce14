/**
 * CloudWatch metrics as embedded-metric-format (EMF) log lines: CloudWatch Logs turns each line
 * into metric data points, so no API call, no SDK and no credentials are needed. Hand-rolled
 * (a dozen lines) because the Powertools Metrics utility is built around a Lambda invocation's
 * lifecycle, while this service publishes on its own timer.
 */
import { INGEST_MARKET_TYPE_DIMENSION } from '../core/metric-names';

export type MetricUnit = 'Count' | 'Milliseconds' | 'Count/Second' | 'None';

export interface MetricValue {
  name: string;
  value: number;
  unit: MetricUnit;
}

export interface EmfOptions {
  namespace: string;
  service: string;
  /** Adds the dimension set [Service, MarketType] beside [Service] (one venue's ingest). */
  marketType?: string;
  write?: (line: string) => void;
  now?: () => number;
}

/**
 * One EMF JSON line for a set of values, with the dimension `Service` and, given a market type,
 * also [Service, MarketType] (so alarms on the service total keep working). Pure.
 */
export function emfLine(values: readonly MetricValue[], namespace: string, service: string, timestamp: number, marketType?: string): string {
  const body: Record<string, unknown> = {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        { Namespace: namespace, Dimensions: marketType ? [['Service'], ['Service', INGEST_MARKET_TYPE_DIMENSION]] : [['Service']], Metrics: values.map((v) => ({ Name: v.name, Unit: v.unit })) },
      ],
    },
    Service: service,
    ...(marketType ? { [INGEST_MARKET_TYPE_DIMENSION]: marketType } : {}),
  };
  for (const v of values) body[v.name] = v.value;
  return JSON.stringify(body);
}

export class EmfPublisher {
  private readonly write: (line: string) => void;
  private readonly now: () => number;

  constructor(private readonly options: EmfOptions) {
    this.write = options.write ?? ((line) => process.stdout.write(line + '\n'));
    this.now = options.now ?? Date.now;
  }

  publish(values: readonly MetricValue[]): void {
    if (values.length === 0) return;
    this.write(emfLine(values, this.options.namespace, this.options.service, this.now(), this.options.marketType));
  }
}
