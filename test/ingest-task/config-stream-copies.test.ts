import { readIngestConfig } from '../../ingest-task/config';

const base = { SINK: 'in-process' };

describe('STREAM_COPIES', () => {
  it('defaults to two copies of every stream', () => {
    expect(readIngestConfig(base).streamCopies).toBe(2);
  });

  it('accepts one to three', () => {
    expect(readIngestConfig({ ...base, STREAM_COPIES: '1' }).streamCopies).toBe(1);
    expect(readIngestConfig({ ...base, STREAM_COPIES: '3' }).streamCopies).toBe(3);
  });

  it.each(['0', '4', 'two'])('rejects %s naming the setting', (value) => {
    expect(() => readIngestConfig({ ...base, STREAM_COPIES: value })).toThrow(/^STREAM_COPIES: /);
  });
});
