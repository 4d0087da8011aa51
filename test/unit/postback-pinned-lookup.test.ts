import http from 'node:http';
import { AddressInfo, LookupFunction } from 'node:net';
import { pinnedLookup } from '../../subgraphs/events/src/domain/postback-target';

type Answer = { err: NodeJS.ErrnoException | null; address: unknown; family: unknown };
/** Calls the lookup the way net.connect does and hands back what its callback received. */
const ask = (lookup: LookupFunction, options: Record<string, unknown>) =>
  new Promise<Answer>((resolve) => lookup('hooks.example.com', options as never, (err, address, family) => resolve({ err, address, family })));

describe('the pinned lookup of postback deliveries (Node lookup contract)', () => {
  const dual = pinnedLookup(['93.184.216.34', '2606:2800:220:1::1']);

  it('answers a list of checked addresses when Node 20 asks for all of them (autoSelectFamily)', async () => {
    // What Node 20's net.connect passes for a host name: { family: undefined, hints: ADDRCONFIG, all: true }.
    expect(await ask(pinnedLookup(['93.184.216.34']), { family: undefined, hints: 32, all: true })).toEqual({ err: null, address: [{ address: '93.184.216.34', family: 4 }], family: undefined });
    expect(await ask(dual, { family: undefined, hints: 32, all: true })).toEqual({
      err: null,
      address: [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:2800:220:1::1', family: 6 },
      ],
      family: undefined,
    });
  });

  it('answers one address and its family when Node does not ask for all', async () => {
    expect(await ask(dual, { family: undefined, hints: 32 })).toEqual({ err: null, address: '93.184.216.34', family: 4 });
    expect(await ask(dual, { all: false })).toEqual({ err: null, address: '93.184.216.34', family: 4 });
    expect(await ask(pinnedLookup(['::1']), {})).toEqual({ err: null, address: '::1', family: 6 });
  });

  it('honours a requested family and never falls back to an address it was not given', async () => {
    expect(await ask(dual, { family: 6, all: true })).toMatchObject({ err: null, address: [{ address: '2606:2800:220:1::1', family: 6 }] });
    expect(await ask(dual, { family: 'IPv4' })).toMatchObject({ err: null, address: '93.184.216.34', family: 4 });
    const none = await ask(pinnedLookup(['93.184.216.34']), { family: 6 });
    expect(none.err?.code).toBe('ENOTFOUND');
  });

  describe('through node:http, by host name, to a real local server', () => {
    let server: http.Server;
    let port: number;
    beforeAll(async () => {
      server = http.createServer((req, res) => res.end(`reached ${req.headers.host}`));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    /** POSTs to a name no resolver knows (.invalid): only the pinned lookup can get it anywhere. */
    function post(autoSelectFamily: boolean, seen: Record<string, unknown>[]) {
      const lookup = pinnedLookup(['127.0.0.1']);
      return new Promise<{ status?: number; body?: string; error?: string }>((resolve) => {
        const req = http.request(
          {
            hostname: 'hooks.postbacks.invalid',
            port,
            method: 'POST',
            agent: false,
            // Passed through to net.connect (@types/node's RequestOptions does not list it).
            ...{ autoSelectFamily },
            lookup: ((host, options, cb) => {
              seen.push({ ...options });
              lookup(host, options, cb);
            }) as LookupFunction,
          },
          (res) => {
            let body = '';
            res.on('data', (c) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode, body }));
          },
        );
        req.on('error', (err) => resolve({ error: err.message }));
        req.end('{}');
      });
    }

    it('with autoSelectFamily (the Node 20 default), http asks for all addresses and connects to the pinned one', async () => {
      const seen: Record<string, unknown>[] = [];
      expect(await post(true, seen)).toEqual({ status: 200, body: `reached hooks.postbacks.invalid:${port}` });
      expect(seen).toEqual([expect.objectContaining({ all: true })]);
    });

    it('without autoSelectFamily, http asks for one address and connects to the pinned one', async () => {
      const seen: Record<string, unknown>[] = [];
      expect(await post(false, seen)).toEqual({ status: 200, body: `reached hooks.postbacks.invalid:${port}` });
      expect(seen).toHaveLength(1);
      expect(seen[0].all).toBeFalsy();
    });
  });
});
