import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkBinanceReachable } from '../../../bin/local/reachability';

describe('checkBinanceReachable', () => {
  let server: Server;
  let status = 200;
  let url = '';

  beforeAll(async () => {
    server = createServer((req, res) => res.writeHead(req.url === '/api/v3/ping' ? status : 404).end('{}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('is satisfied when ping answers', async () => {
    status = 200;
    await expect(checkBinanceReachable(url)).resolves.toBeUndefined();
  });

  it('names the fix when Binance refuses the location (HTTP 451)', async () => {
    status = 451;
    await expect(checkBinanceReachable(url)).resolves.toMatch(/refuses this location \(HTTP 451.*Binance\.US endpoints \(BINANCE_REST_URL/);
  });

  it('tells a rate-limited user to wait rather than retrying', async () => {
    status = 418;
    await expect(checkBinanceReachable(url)).resolves.toMatch(/rate-limiting this IP \(HTTP 418\); wait/);
  });

  it('gives up after the timeout on a silent endpoint', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const message = await checkBinanceReachable(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`, 200);
    silent.closeAllConnections();
    await new Promise<void>((r) => silent.close(() => r()));
    expect(message).toMatch(/could not be reached .*\(TimeoutError\).*npm start -- --sim/);
  });
});
