/**
 * The Arrow IPC stream that parquet-wasm reads (`Table.fromIPCStream`), written from the column
 * buffers of `KlineColumns` (arrow-batch.ts) without apache-arrow: loading Arrow and its IPC
 * writer cost ≈ 0.1 CPU s at the start of every Parquet export and ≈ 0.3 ms per record batch
 * (a third of a millisecond for each daily file of one market; bench/RESULTS.md
 * `export-vs-polars, round 4`).
 *
 * A stream is the schema message, one record batch message and the end marker
 * (https://arrow.apache.org/docs/format/Columnar.html#serialization-and-interprocess-communication-ipc).
 * The schema message never changes: it is kept as apache-arrow encodes KLINE_ARROW_SCHEMA
 * (arrow-record-batch.ts; test/core/export/arrow-ipc.test.ts holds them equal). The record batch
 * message is a FlatBuffers `Message` holding a `RecordBatch` table (its row count, one node per
 * column, one region per buffer), laid out below front to back at fixed positions, every 64-bit
 * value 8-byte aligned; its body is the buffers, each padded to 8 bytes.
 */

/** One column of a record batch: its null count and its buffers in IPC order, validity first (empty when nothing is null). */
export interface IpcColumn {
  nulls: number;
  buffers: readonly ArrayBufferView[];
}

/** The schema message of KLINE_ARROW_SCHEMA with its prefix (continuation marker, length), as apache-arrow 21 writes it. */
const KLINE_SCHEMA_MESSAGE = Buffer.from(
  '/////1ADAAAQAAAAAAAKABAADgAHAAgACgAAAAAAAAEQAAAAAAAEAAgACAAAAAQACAAAAAQAAAANAAAA8AIAAJgCAABcAgAA' +
  'KAIAAPgBAADEAQAAkAEAAFABAAAUAQAA2AAAAJgAAABUAAAAFAAAABAAGAAEAAsAEwAUAAAADAAQAAAAFAAAAAAAAAEgAAAA' +
  'AAAAAhwAAAAMAAAAc291cmNlX2NvdW50AAAAAAAAAABU////AAAAASAAAACg/f//EAAAACgAAAAAAAAHJAAAABYAAAB0YWtl' +
  'cl9idXlfcXVvdGVfdm9sdW1lAAAAAAAALP7//yYAAAAIAAAA4P3//xAAAAAkAAAAAAAAByAAAAAQAAAAdGFrZXJfYnV5X3Zv' +
  'bHVtZQAAAAAAAAAAaP7//yYAAAAIAAAAHP7//xAAAAAYAAAAAAAAAhwAAAAFAAAAY291bnQAAAAAAAAACAAMAAgABwAIAAAA' +
  'AAAAAUAAAABU/v//EAAAACAAAAAAAAAHHAAAAAwAAABxdW90ZV92b2x1bWUAAAAAAAAAANj+//8mAAAACAAAAIz+//8QAAAA' +
  'HAAAAAAAAAoYAAAACgAAAGNsb3NlX3RpbWUAAAAAAADQ/v//CAAAAAAAAQADAAAAVVRDAMj+//8QAAAAGAAAAAAAAAcUAAAA' +
  'BgAAAHZvbHVtZQAAAAAAAET///8mAAAACAAAAPj+//8QAAAAGAAAAAAAAAcUAAAABQAAAGNsb3NlAAAAAAAAAHT///8mAAAA' +
  'CAAAACj///8QAAAAFAAAAAAAAAcQAAAAAwAAAGxvdwAAAAAAoP///yYAAAAIAAAAVP///xAAAAAYAAAAAAAABxQAAAAEAAAA' +
  'aGlnaAAAAAAAAAAA0P///yYAAAAIAAAAhP///xAAAAAYAAAAAAAABxwAAAAEAAAAb3BlbgAAAAAAAAAACAAMAAQACAAIAAAA' +
  'JgAAAAgAAAC8////EAAAABwAAAAAAAAKIAAAAAkAAABvcGVuX3RpbWUAAAAAAAAACAAMAAoABAAIAAAACAAAAAAAAQADAAAA' +
  'VVRDABAAFAAEAAAADwAQAAAACAAQAAAAEAAAABgAAAAAAAAFGAAAAAYAAABzeW1ib2wAAAAAAAAEAAQABAAAAA==',
  'base64',
);

/** Continuation marker: every message's prefix starts with it; followed by a zero length it ends the stream. */
const CONTINUATION = 0xffff_ffff;
/** MetadataVersion.V5 and MessageHeader.RecordBatch (Schema.fbs, Message.fbs). */
const V5 = 4;
const RECORD_BATCH = 3;

/**
 * Byte positions in the record batch message (FlatBuffers: a table starts with the signed
 * distance back to its vtable; a vtable lists its own size, the table's size and each field's
 * position in the table; offsets to other objects are unsigned, forward, from where they are stored).
 */
const MESSAGE_VTABLE = 4; // 6 × u16: vtable size, table size, version, header_type, header, bodyLength
const MESSAGE = 16; // soffset, header → RecordBatch (+4), bodyLength (+8), version (+16), header_type (+18); 24 bytes
const BATCH_VTABLE = 46; // 5 × u16: vtable size, table size, length, nodes, buffers
const BATCH = 56; // soffset, nodes (+4), buffers (+8), length (+16); 24 bytes
const NODES = 84; // u32 count, then 16 bytes per node (length, null count), from an 8-aligned position

/** Size of the record batch message for `nodes` columns and `buffers` buffers (a multiple of 8). */
function messageSize(nodes: number, buffers: number): number {
  return NODES + 4 + 16 * nodes + 8 + 16 * buffers;
}

const pad8 = (n: number) => (n + 7) & ~7;

/** A writer of one-batch IPC streams into one buffer it reuses. */
export class IpcStreamWriter {
  private bytes = new Uint8Array(1 << 20);
  private view = new DataView(this.bytes.buffer);

  /** `length` rows of `columns` (KLINE_ARROW_SCHEMA's, in its order) as a complete IPC stream: a view valid until the next call. */
  write(length: number, columns: readonly IpcColumn[]): Uint8Array {
    const buffers = columns.flatMap((c) => c.buffers);
    const metadata = messageSize(columns.length, buffers.length);
    const body = buffers.reduce((n, b) => n + pad8(b.byteLength), 0);
    const schema = KLINE_SCHEMA_MESSAGE.length;
    const total = schema + 8 + metadata + body + 8;
    this.reserve(total);
    const { bytes, view } = this;
    bytes.set(KLINE_SCHEMA_MESSAGE, 0);
    bytes.fill(0, schema, schema + 8 + metadata);
    view.setUint32(schema, CONTINUATION, true);
    view.setInt32(schema + 4, metadata, true);
    const m = schema + 8; // the FlatBuffer starts here (8-aligned: the schema message is a multiple of 8)
    const u16 = (at: number, values: number[]) => values.forEach((v, i) => view.setUint16(m + at + 2 * i, v, true));
    const u32 = (at: number, v: number) => view.setUint32(m + at, v, true);
    const i64 = (at: number, v: number) => {
      view.setUint32(m + at, v >>> 0, true);
      view.setUint32(m + at + 4, Math.floor(v / 2 ** 32), true);
    };
    const buffersAt = NODES + 4 + 16 * columns.length + 4;
    u32(0, MESSAGE); // root table
    u16(MESSAGE_VTABLE, [12, 24, 16, 18, 4, 8]);
    u32(MESSAGE, MESSAGE - MESSAGE_VTABLE);
    u32(MESSAGE + 4, BATCH - (MESSAGE + 4));
    i64(MESSAGE + 8, body);
    view.setInt16(m + MESSAGE + 16, V5, true);
    view.setUint8(m + MESSAGE + 18, RECORD_BATCH);
    u16(BATCH_VTABLE, [10, 24, 16, 4, 8]);
    u32(BATCH, BATCH - BATCH_VTABLE);
    u32(BATCH + 4, NODES - (BATCH + 4));
    u32(BATCH + 8, buffersAt - (BATCH + 8));
    i64(BATCH + 16, length);
    u32(NODES, columns.length);
    columns.forEach((c, i) => {
      i64(NODES + 4 + 16 * i, length);
      i64(NODES + 12 + 16 * i, c.nulls);
    });
    u32(buffersAt, buffers.length);
    let at = m + metadata; // body
    buffers.forEach((b, i) => {
      i64(buffersAt + 4 + 16 * i, at - (m + metadata));
      i64(buffersAt + 12 + 16 * i, b.byteLength);
      bytes.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), at);
      const end = at + pad8(b.byteLength);
      bytes.fill(0, at + b.byteLength, end);
      at = end;
    });
    view.setUint32(at, CONTINUATION, true);
    view.setUint32(at + 4, 0, true);
    return bytes.subarray(0, total);
  }

  private reserve(size: number): void {
    if (size <= this.bytes.length) return;
    this.bytes = new Uint8Array(Math.max(2 * this.bytes.length, size));
    this.view = new DataView(this.bytes.buffer);
  }
}
