/**
 * Why a dump file could not be used. Every error names the file; `kind` lets a summary group
 * them and `retryable` tells the downloader whether another attempt can help.
 */
export type DumpProblemKind =
  | 'not-published' // 404: Binance has not published (or never will publish) this file
  | 'checksum-mismatch' // the zip's SHA-256 differs from its .CHECKSUM
  | 'truncated' // fewer bytes than Content-Length, or the connection broke mid-file
  | 'corrupt-zip' // not a zip, no CSV entry, CRC-32 or size mismatch
  | 'bad-row' // a row fails kline validation
  | 'http' // another HTTP status or a network error
  | 'bad-checksum-file'; // the .CHECKSUM does not hold "<sha256>  <file>"

const RETRYABLE: ReadonlySet<DumpProblemKind> = new Set(['checksum-mismatch', 'truncated', 'corrupt-zip', 'http']);

export class DumpError extends Error {
  override readonly name = 'DumpError';
  constructor(
    readonly kind: DumpProblemKind,
    /** The file, as `dumpLabel` or a local path. */
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${kind}: ${detail}`);
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.kind);
  }
}
