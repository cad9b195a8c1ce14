import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSimulator } from '../../sim/index';
import { LOCATION_REFUSED_MESSAGE } from '../../core/binance/errors';
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
        MARKET_TYPES: 'spot',
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

describe('ingest-task main in AWS (MONGODB_SECRET_ARN)', () => {
  const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kline-capture/mongodb-AbCdEf';
  const secrets = mockClient(SecretsManagerClient);
  const sqs = mockClient(SQSClient);
  let output: string[];
  let writeSpy: jest.SpyInstance;
  beforeEach(() => {
    output = [];
    writeSpy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    writeSpy.mockRestore();
    secrets.reset();
    sqs.reset();
  });
  afterAll(() => {
    secrets.restore();
    sqs.restore();
  });

  it('starts capturing when the secret still holds the deploy placeholder: one error naming the ARN, then a clean stop', async () => {
    const placeholder = 'Zq8!rT2#placeholder-value-Lm5';
    secrets.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: placeholder });
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const sim = await startSimulator({ markets: 5, speed: 60, seed: 3 });
    try {
      const env = {
        SINK: 'sqs',
        MARKET_TYPES: 'spot',
        SQS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/klines',
        BINANCE_REST_URL: sim.restUrl,
        BINANCE_STREAM_URL: sim.streamUrl,
        MONGODB_SECRET_ARN: ARN,
        MONGODB_DATABASE: 'klines',
        STOP_TIMEOUT_SECONDS: '10',
      };
      const running = main(env, { secrets: new SecretsManagerClient({ region: 'eu-west-1' }), sqs: new SQSClient({ region: 'eu-west-1' }) });
      // Wait until the ingest has started (it logs "ingest started"), then stop it as ECS would.
      for (let i = 0; i < 200 && !output.join('').includes('ingest started'); i++) await new Promise((r) => setTimeout(r, 25));
      expect(output.join('')).toContain('ingest started');
      process.emit('SIGTERM');

      expect(await running).toBe(0);
      const errors = output.join('').split('\n').filter((l) => l.includes('"level":"error"'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(ARN);
      expect(output.join('')).not.toContain(placeholder);
    } finally {
      await sim.close();
    }
  });
});

describe('readIngestConfig', () => {
  it('reads defaults for live Binance and the SQS sink', () => {
    const c = readIngestConfig({ SQS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/q' });
    expect(c.binance).toEqual({ streamUrl: 'wss://data-stream.binance.vision', restUrl: 'https://data-api.binance.vision' });
    expect(c.sink).toEqual({ kind: 'sqs', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q' });
    expect(c.resume).toEqual({ kind: 'none' });
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
    expect(c.resume).toEqual({ kind: 'mongodb', uri: 'mongodb://localhost:27017/klines', database: 'klines' });
  });

  it('resumes from the secret when MONGODB_SECRET_ARN is set, even next to MONGODB_URI, and rejects what is not an ARN', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf';
    expect(readIngestConfig({ SINK: 'in-process', MONGODB_SECRET_ARN: arn, MONGODB_DATABASE: 'capture', MONGODB_URI: 'mongodb://h/x' }).resume).toEqual({ kind: 'secret', secretArn: arn, database: 'capture' });
    expect(readIngestConfig({ SINK: 'in-process', MONGODB_SECRET_ARN: arn }).resume).toEqual({ kind: 'secret', secretArn: arn, database: undefined });
    expect(() => readIngestConfig({ SINK: 'in-process', MONGODB_SECRET_ARN: 'mongodb://h/x' })).toThrow('MONGODB_SECRET_ARN');
  });

  it('refuses a SQLite store for resume at start, naming KLINE_STORE', () => {
    expect(() => readIngestConfig({ SINK: 'in-process', KLINE_STORE: 'sqlite:./x.db' })).toThrow('KLINE_STORE');
  });
});
