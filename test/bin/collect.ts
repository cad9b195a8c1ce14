import { Writable } from 'node:stream';

/** A writable that keeps what the CLI writes; `isTTY` makes it look like a terminal. */
export class Collect extends Writable {
  text = '';
  constructor(readonly isTTY = false) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}
