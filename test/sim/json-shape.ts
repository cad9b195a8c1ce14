/**
 * Compare the shape of a JSON value with a documented example: same field names, same JSON
 * types, recursively. Returns the differences (empty = same shape).
 */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface ShapeOptions {
  /** Keys the docs mark optional: they may be absent from the actual value. */
  optional?: readonly string[];
  /** Object keys that tell array elements apart (e.g. filterType): an element is compared with the documented element of the same kind, if any. */
  discriminators?: readonly string[];
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

export function shapeDiff(expected: unknown, actual: unknown, options: ShapeOptions = {}, path = '$'): string[] {
  const te = jsonType(expected);
  const ta = jsonType(actual);
  if (te !== ta) return [`${path}: expected ${te}, got ${ta}`];
  if (te === 'array') return arrayDiff(expected as Json[], actual as Json[], options, path);
  if (te !== 'object') return [];
  const e = expected as Record<string, Json>;
  const a = actual as Record<string, Json>;
  const diffs: string[] = [];
  for (const key of Object.keys(e)) {
    if (!(key in a)) {
      if (!options.optional?.includes(key)) diffs.push(`${path}.${key}: missing`);
      continue;
    }
    diffs.push(...shapeDiff(e[key], a[key], options, `${path}.${key}`));
  }
  for (const key of Object.keys(a)) if (!(key in e)) diffs.push(`${path}.${key}: not in the documented example`);
  return diffs;
}

function arrayDiff(e: Json[], a: Json[], options: ShapeOptions, path: string): string[] {
  if (e.length === 0) return [];
  // A documented array of mixed primitive types is a tuple (a kline row): compare by position.
  const isTuple = new Set(e.map(jsonType)).size > 1 && e.every((x) => jsonType(x) !== 'object' && jsonType(x) !== 'array');
  if (isTuple) {
    if (a.length !== e.length) return [`${path}: expected ${e.length} elements, got ${a.length}`];
    return e.flatMap((x, i) => shapeDiff(x, a[i], options, `${path}[${i}]`));
  }
  const diffs: string[] = [];
  a.forEach((x, i) => {
    let model: Json | undefined = e[0];
    const disc = options.discriminators?.find((d) => jsonType(x) === 'object' && d in (x as object));
    if (disc !== undefined) {
      model = e.find((y) => jsonType(y) === 'object' && (y as Record<string, Json>)[disc] === (x as Record<string, Json>)[disc]);
      if (model === undefined) return; // a kind the example does not show
    }
    diffs.push(...shapeDiff(model, x, options, `${path}[${i}]`));
  });
  return diffs;
}
