/** Resolve once `cond()` holds, polling every `pollMs`; reject after `timeoutMs` with what `describe()` says (text as is, anything else as JSON). */
export function waitFor(cond: () => boolean, timeoutMs: number, describe: () => unknown = () => '', pollMs = 50): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const t = setInterval(() => {
      if (cond()) {
        clearInterval(t);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(t);
        const what = describe();
        reject(new Error(`timed out: ${typeof what === 'string' ? what : JSON.stringify(what)}`));
      }
    }, pollMs);
  });
}
