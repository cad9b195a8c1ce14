import * as path from 'node:path';

/** The repository root: the Docker build context of the ingest image and the esbuild project root. */
export const REPO_ROOT = path.resolve(__dirname, '..');

/** The Lambda handlers' entry files, each exporting `handler`. */
export interface LambdaEntries {
  readonly writer: string;
  readonly resampler: string;
  readonly reporter: string;
  /** The deploy-time schema step (custom resource). @default lambda/schema.ts */
  readonly schema?: string;
  /** The daily dump audit. @default lambda/auditor.ts */
  readonly auditor?: string;
  /** The daily Parquet export to S3. @default lambda/exporter.ts */
  readonly exporter?: string;
}

export const DEFAULT_LAMBDA_ENTRIES: LambdaEntries = {
  writer: path.join(REPO_ROOT, 'lambda', 'writer.ts'),
  resampler: path.join(REPO_ROOT, 'lambda', 'resampler.ts'),
  reporter: path.join(REPO_ROOT, 'lambda', 'reporter.ts'),
  schema: path.join(REPO_ROOT, 'lambda', 'schema.ts'),
  auditor: path.join(REPO_ROOT, 'lambda', 'auditor.ts'),
  exporter: path.join(REPO_ROOT, 'lambda', 'exporter.ts'),
};
