import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOCATION_REFUSED_MESSAGE } from '../../ingest-task/errors';
import { main } from '../../ingest-task/main';
import { readIngestConfig } from '../../ingest-task/config';

describe('ingest-task main', () => {
  let output: string[];
  let writeSpy: jest.SpyInstance;
  let errSpy: jest.SpyInstance;
  beforeEach(() => {
    output = [];
    writeSpy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    });
    errSpy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    writeSpy.mockRestore();
    errSpy.mockRestore();
  });

  it('exits with 2 and names the setting when the configuration is bad', async () => {
    expect(await main({ SINK: 'sqs' })).toBe(2);
    expect(output.join('')).toContain('SQS_QUEUE_URL');
    expect(await main({ SINK: 'sqs', SQS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/q', BINANCE_REST_URL: 'ftp://x' })).toBe(2);
    expect(output.join('')).toContain('BINANCE_REST_URL');
  });

  it('exits with 1 and the clear location message when Binance answers 451, without retrying', async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.writeHead(451).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const env = {
        SINK: 'sqs',
        SQS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/klines',
        BINANCE_REST_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        AWS_REGION: 'eu-west-1',
      };
      expect(await main(env)).toBe(1);
      expect(output.join('')).toContain(LOCATION_REFUSED_MESSAGE);
      expect(requests).toBe(1);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('readIngestConfig', () => {
  it('reads defaults for live Binance and the SQS sink', () => {
    const c = readIngestConfig({ SQS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/q' });
    expect(c.binance).toEqual({ streamUrl: 'wss://data-stream.binance.vision', restUrl: 'https://data-api.binance.vision' });
    expect(c.sink).toEqual({ kind: 'sqs', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q' });
    expect(c.resumeStore).toBeUndefined();
    expect(c.weightHeadroom).toBe(0.5);
    expect(c.maxConnectionAgeMs).toBe(23 * 3_600_000);
  });

  it('rejects a connection age at or past Binance’s 24 h cut and an impossible headroom', () => {
    expect(() => readIngestConfig({ SINK: 'in-process', MAX_CONNECTION_AGE_MINUTES: '1440' })).toThrow('MAX_CONNECTION_AGE_MINUTES');
    expect(() => readIngestConfig({ SINK: 'in-process', REST_WEIGHT_HEADROOM_PERCENT: '100' })).toThrow('REST_WEIGHT_HEADROOM_PERCENT');
    expect(() => readIngestConfig({ SINK: 'kafka' })).toThrow('SINK');
  });

  it('takes Binance.US endpoints and a market filter by configuration alone', () => {
    const c = readIngestConfig({ SINK: 'in-process', BINANCE_STREAM_URL: 'wss://stream.binance.us:9443', BINANCE_REST_URL: 'https://api.binance.us', MARKETS_QUOTE_ASSETS: 'usdt,btc', MONGODB_URI: 'mongodb://localhost:27017/klines' });
    expect(c.binance).toEqual({ streamUrl: 'wss://stream.binance.us:9443', restUrl: 'https://api.binance.us' });
    expect(c.markets.quoteAssets).toEqual(['USDT', 'BTC']);
    expect(c.resumeStore).toEqual({ kind: 'mongodb', uri: 'mongodb://localhost:27017/klines', database: 'klines' });
  });
});
