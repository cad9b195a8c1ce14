/**
 * The writer and resampler handlers against a real MongoDB, through the same store acquisition
 * the Lambdas use (URI from the environment instead of the secret). Runs only when MONGODB_URI
 * is set; each run uses a fresh database and drops it.
 */
import './quiet';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { encodeBatch } from '../../core/codec';
import { handler as resample } from '../../lambda/resampler';
import { closeStore, getStore } from '../../lambda/shared/store';
import { handler as write } from '../../lambda/writer';
import { makeSeries, MINUTE, T0 } from '../core/store/fixtures';
import { lambdaContext, sqsEvent } from './helpers';

const MONGODB_URI = process.env.MONGODB_URI;

if (!MONGODB_URI) {
  describe('Lambda handlers against MongoDB', () => {
    console.warn('MongoDB handler tests skipped: MONGODB_URI is not set');
    test.skip('MongoDB handler tests skipped: MONGODB_URI is not set', () => undefined);
  });
} else {
  describe('Lambda handlers against MongoDB', () => {
    const database = `kline_lambda_${randomUUID().slice(0, 8)}`;
    const saved = { ...process.env };

    beforeAll(() => {
      delete process.env.KLINE_STORE;
      process.env.MONGODB_DATABASE = database;
    });

    afterAll(async () => {
      jest.restoreAllMocks();
      await closeStore();
      process.env = saved;
      const client = new MongoClient(MONGODB_URI);
      try {
        await client.db(database).dropDatabase();
      } finally {
        await client.close();
      }
    });

    it('stores a batch with one corrupt message, reports only that one, and resamples the stored minutes', async () => {
      // Prepare
      const klines = makeSeries(['BTCUSDT', 'ETHUSDT'], T0, 15);
      const [body] = encodeBatch({ klines, marketEvents: [{ marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: T0 }] });
      jest.spyOn(Date, 'now').mockReturnValue(T0 + 15 * MINUTE + 40_000);

      // Act
      const response = await write(sqsEvent([{ id: 'good', body }, { id: 'bad', body: '{"v":1,"g":[1]}' }]), lambdaContext);
      const redelivered = await write(sqsEvent([{ id: 'good', body }]), lambdaContext);
      const resampled = await resample({});

      // Assess
      const store = await getStore();
      expect(response).toStrictEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
      expect(redelivered).toStrictEqual({ batchItemFailures: [] });
      expect(await store.read({ marketType: 'spot', interval: '1m', from: 0, to: Number.MAX_SAFE_INTEGER })).toStrictEqual(klines);
      expect(resampled.byInterval['15m']).toStrictEqual({ computed: 2, written: 2, failed: 0 });
      expect((await store.read({ marketType: 'spot', interval: '5m', from: 0, to: Number.MAX_SAFE_INTEGER })).map((b) => b.sourceCount)).toStrictEqual([5, 5, 5, 5, 5, 5]);
    });
  });
}
