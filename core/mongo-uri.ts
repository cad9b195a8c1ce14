/**
 * The MongoDB connection string kept in a Secrets Manager secret, shared by the Lambdas and the
 * ingest task. Pure parsing only: reading the secret belongs to each caller (AWS SDK client).
 */

const MONGO_SCHEME = /^mongodb(\+srv)?:\/\//;

/**
 * The secret's value is the URI itself or JSON with a `uri` (or `MONGODB_URI`) field; anything
 * else (empty, the random placeholder the deploy creates, other JSON) is undefined. Callers must
 * never put the value itself in a log line or an error.
 */
export function mongoUriFromSecretString(value: string | undefined): string | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (MONGO_SCHEME.test(text)) return text;
  if (text.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null) {
        const record = parsed as Record<string, unknown>;
        const uri = record.uri ?? record.MONGODB_URI;
        if (typeof uri === 'string' && MONGO_SCHEME.test(uri.trim())) return uri.trim();
      }
    } catch {
      return undefined;
    }
  }
  return undefined;
}
