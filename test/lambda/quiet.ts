/**
 * Import first in handler tests: Powertools reads these when the handler modules create their
 * Logger and Metrics. Tests spy on the logger and metrics instead of parsing stdout.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
