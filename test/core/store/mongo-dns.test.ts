import * as dns from 'node:dns';
import { StoreUnavailableError } from '../../../core/errors';
import { MongoKlineStore } from '../../../core/store/mongo';

/** The error Node's resolver gives for a host that does not exist (`dns.promises.resolve(host, 'SRV')`). */
function querySrvNotFound(host: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`querySrv ENOTFOUND ${host}`), { code: 'ENOTFOUND', syscall: 'querySrv', hostname: host });
}

describe('MongoDB store: a mongodb+srv host that does not resolve', () => {
  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['ENOTFOUND', querySrvNotFound('_mongodb._tcp.cluster0.nowhere.mongodb.net')],
    ['ECONNREFUSED', Object.assign(new Error('querySrv ECONNREFUSED _mongodb._tcp.cluster0.nowhere.mongodb.net'), { code: 'ECONNREFUSED', syscall: 'querySrv' })],
  ])('rejects a read with StoreUnavailableError (%s), not a bare DNS error, and keeps the password out', async (_code, dnsError) => {
    // Prepare: the driver resolves SRV records through dns.promises.resolve
    jest.spyOn(dns.promises, 'resolve').mockRejectedValue(dnsError);
    const store = new MongoKlineStore({ uri: 'mongodb+srv://user:s3cret@cluster0.nowhere.mongodb.net/', database: 'klines', clientOptions: { serverSelectionTimeoutMS: 500 } });

    // Act
    const outcome = store.read({ marketType: 'spot', interval: '1m', from: 0, to: 60_000 });

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(outcome).rejects.toThrow(/unavailable: cannot read klines_1m: .*querySrv/);
    await expect(outcome).rejects.not.toThrow(/s3cret/);
    await store.close().catch(() => undefined);
  });

  it('passes on an error that is neither a driver nor a network error unchanged', async () => {
    jest.spyOn(dns.promises, 'resolve').mockRejectedValue(new TypeError('a bug'));
    const store = new MongoKlineStore({ uri: 'mongodb+srv://cluster0.nowhere.mongodb.net/', database: 'klines', clientOptions: { serverSelectionTimeoutMS: 500 } });
    await expect(store.read({ marketType: 'spot', interval: '1m', from: 0, to: 60_000 })).rejects.toThrow(TypeError);
    await store.close().catch(() => undefined);
  });
});
