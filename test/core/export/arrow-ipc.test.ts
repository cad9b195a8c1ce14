/**
 * The IPC stream the export hands parquet-wasm, written without apache-arrow (core/export/arrow-ipc.ts):
 * its schema message is apache-arrow's, apache-arrow reads it back as the same record batch, its
 * body is the bytes apache-arrow would write, and parquet-wasm writes the same Parquet file from
 * it as from apache-arrow's own stream.
 */
import { RecordBatchStreamWriter, Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import * as wasm from 'parquet-wasm';
import { KlineColumns } from '../../../core/export/arrow-batch';
import { KLINE_ARROW_SCHEMA, klineRecordBatch } from '../../../core/export/arrow-record-batch';
import type { Kline } from '../../../core/kline';

const kline = (i: number, sourceCount?: number, symbol = 'BTCUSDT'): Kline => ({
  marketType: 'spot',
  symbol,
  interval: '1m',
  openTime: 1_735_689_600_000 + i * 60_000,
  closeTime: 1_735_689_600_000 + i * 60_000 + 59_999,
  open: `${i}.5`,
  high: `${i + 1}.00000001`,
  low: '0',
  close: `${i}`,
  volume: `${i * 1000}.12345678`,
  quoteVolume: '123456789012345678901234567890.12345678',
  trades: i * 7,
  takerBuyBaseVolume: '0.1',
  takerBuyQuoteVolume: `${2 ** 40 + i}`,
  sourceCount,
});

/** Prefix and metadata length of the first message of a stream. */
const firstMessageLength = (ipc: Uint8Array) => 8 + new DataView(ipc.buffer, ipc.byteOffset).getInt32(4, true);

const cases: [string, Kline[]][] = [
  ['one market, no source counts (1m)', Array.from({ length: 37 }, (_, i) => kline(i))],
  ['source counts, some null', Array.from({ length: 40 }, (_, i) => kline(i, i % 4 === 0 ? undefined : 5))],
  ['none null, several markets, non-ASCII', Array.from({ length: 9 }, (_, i) => kline(i, 3, ['AUSDT', 'BÜSDT', '币安人生USDT'][i % 3]))],
  ['one kline', [kline(1)]],
  ['no klines', []],
];

describe('Arrow IPC stream without apache-arrow', () => {
  it('starts with the schema message apache-arrow writes for KLINE_ARROW_SCHEMA', () => {
    const arrow = new RecordBatchStreamWriter().reset(undefined, KLINE_ARROW_SCHEMA).toUint8Array(true);
    const ours = new KlineColumns(4).recordBatchIpc();
    const n = firstMessageLength(arrow);
    expect(Buffer.from(ours.subarray(0, n)).equals(Buffer.from(arrow.subarray(0, n)))).toBe(true);
  });

  it.each(cases)('%s: reads back in apache-arrow as the same batch, with the same body bytes, and ends the stream', (_name, klines) => {
    const columns = new KlineColumns(64);
    columns.fill([kline(90, 1), kline(91)]); // something else first: reused buffers
    columns.recordBatchIpc();
    const ours = columns.ipcStream(klines);
    const arrow = tableToIPC(new Table([klineRecordBatch(klines)]), 'stream');
    const read = tableFromIPC(ours);
    expect(read.schema.fields.map((f) => `${f.name}: ${f.type} ${f.nullable}`)).toEqual(KLINE_ARROW_SCHEMA.fields.map((f) => `${f.name}: ${f.type} ${f.nullable}`));
    expect(read.toArray().map((r) => r.toJSON())).toEqual(klineRecordBatch(klines).toArray().map((r) => r.toJSON()));
    expect(read.getChild('source_count')!.nullCount).toBe(klines.filter((k) => k.sourceCount === undefined).length);
    // Bodies (and the end marker) are the last bytes of both streams.
    const schema = firstMessageLength(arrow);
    const body = (ipc: Uint8Array) => {
      const meta = firstMessageLength(ipc.subarray(schema));
      return Buffer.from(ipc.subarray(schema + meta));
    };
    expect(body(ours).equals(body(arrow))).toBe(true);
    expect([...ours.subarray(-8)]).toEqual([255, 255, 255, 255, 0, 0, 0, 0]);
  });

  it.each(cases)('%s: parquet-wasm writes the same file from it as from apache-arrow\'s stream', (_name, klines) => {
    const props = () => new wasm.WriterPropertiesBuilder().setCompression(wasm.Compression.SNAPPY).setCreatedBy('test').build();
    const parquet = (ipc: Uint8Array) => Buffer.from(wasm.writeParquet(wasm.Table.fromIPCStream(ipc), props()));
    const ours = parquet(new KlineColumns(64).ipcStream(klines));
    expect(ours.equals(parquet(tableToIPC(new Table([klineRecordBatch(klines)]), 'stream')))).toBe(true);
  });
});
