/**
 * The deployment's settings live in a file (cdk.json "context", or ~/.cdk.json for per-user
 * defaults), never only on a command line: a value given with `-c key=value` and forgotten on the
 * next deploy would silently fall back to the default, and for `mongoSecretName` that means a new,
 * empty secret that every function then reads (each batch fails into the dead-letter queue).
 * So the app refuses a kline-capture setting whose value is not the one in the files.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CONTEXT_KEYS } from './config';

/** The `context` objects of the files the CDK CLI merges, in its order (user defaults, project, lookups). */
export function settingsFiles(projectDir: string = process.cwd(), home: string = os.homedir()): Array<{ file: string; context: Record<string, unknown> }> {
  const files = [path.join(home, '.cdk.json'), path.join(projectDir, 'cdk.json'), path.join(projectDir, 'cdk.context.json')];
  return files.flatMap((file) => {
    if (!fs.existsSync(file)) return [];
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    // cdk.context.json is the context itself; cdk.json and ~/.cdk.json hold it under "context".
    const context = file.endsWith('cdk.context.json') ? json : (json.context as Record<string, unknown> | undefined) ?? {};
    return [{ file, context }];
  });
}

/** Messages for each kline-capture setting whose value comes from the command line rather than a file. */
export function commandLineOnlySettings(context: Record<string, unknown>, files: ReadonlyArray<{ context: Record<string, unknown> }>): string[] {
  const fromFiles: Record<string, unknown> = Object.assign({}, ...files.map((f) => f.context));
  return (CONTEXT_KEYS as readonly string[])
    .filter((key) => key in context && JSON.stringify(normalise(context[key])) !== JSON.stringify(normalise(fromFiles[key])))
    .map(
      (key) =>
        `Context "${key}" is set on the command line only (or differs from cdk.json): put ${key} in the "context" of cdk.json, ` +
        `so every later deploy uses it; a deploy without it would fall back to the default${key === 'mongoSecretName' ? ' and point every function at a new, empty secret' : ''}.`,
    );
}

/** `-c` delivers strings: "true", "5", a JSON list as text; cdk.json delivers typed values. Compare them alike. */
function normalise(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
