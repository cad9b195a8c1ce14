/**
 * Keeping credentials out of every log line, error and status, whatever shape the input has.
 * A mistyped URI (`mongodb:/user:pw@…`, `MONGODB://…`, `mongo+srv://…`, a leading space) is not
 * a URL a parser accepts, so redaction cannot rely on parsing: any whitespace-separated token
 * with userinfo (`…:…@`, or anything between a scheme and `@`) loses everything up to its last `@`.
 */

const SCHEME = /^["'(<[]?[a-z][a-z0-9+.-]*:\/*/i;
const OPENING = /^["'(<[]?/;

function redactToken(token: string): string {
  const at = token.lastIndexOf('@');
  if (at < 0) return token;
  const scheme = SCHEME.exec(token);
  const start = scheme ? scheme[0].length : (OPENING.exec(token)?.[0].length ?? 0);
  const userinfo = token.slice(start, at);
  // Without a scheme or a ':' it is an e-mail address, not a credential.
  if (userinfo === '' || (!scheme && !userinfo.includes(':'))) return token;
  return `${token.slice(0, start)}***${token.slice(at)}`;
}

/** `text` with the userinfo of every URI-like token replaced by `***`. */
export function redactSecrets(text: string): string {
  if (!text.includes('@')) return text;
  return text
    .split(/(\s+)/)
    .map((t) => redactToken(t))
    .join('');
}

/**
 * What may be shown of a value that should have been a URI but is not one we accept: its scheme
 * (when it looks like one, so the mistake is visible) and its length, never the rest.
 */
export function describeUnacceptedUri(value: string): string {
  const scheme = /^\s*[a-z][a-z0-9+.-]*:\/{0,3}/i.exec(value)?.[0];
  const lead = value !== value.trimStart() ? 'a value with leading whitespace' : 'a value';
  return scheme ? `${lead} starting ${JSON.stringify(scheme.trim())} (${value.length} characters, rest not shown)` : `${lead} of ${value.length} characters (not shown)`;
}
