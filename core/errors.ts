/** Named errors of the domain. Each sets `name` and carries the context a reader needs. */

/** A kline that must never be stored: malformed or internally inconsistent. */
export class KlineValidationError extends Error {
  override readonly name = 'KlineValidationError';
  constructor(readonly reason: string, readonly source?: string) {
    super(source ? `${source}: ${reason}` : reason);
  }
}

/** An ingest→writer message body that cannot be decoded (corrupt, wrong version, bad kline). */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  constructor(message: string) {
    super(message);
  }
}

/** A bad setting. The message names the setting, so the operator can fix it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly setting: string, problem: string) {
    super(`${setting}: ${problem}`);
  }
}

/** The store could not be reached or refused the whole operation; nothing was acknowledged. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
  }
}
