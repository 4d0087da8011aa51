import http from 'node:http';
import { AddressInfo } from 'node:net';
import express from 'express';
import { configureLogger } from '../../subgraphs/shared/src';
import { clickRedirectProxy } from '../../gateway/src/http/redirect-proxy';
import { freePort } from '../helpers/harness';

/** The gateway's /r/:slug hop, against real HTTP servers on loopback. */
beforeAll(() => configureLogger('silent'));

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

async function gatewayTo(linksUrl: string) {
  const app = express();
  app.set('trust proxy', false);
  const proxy = clickRedirectProxy(linksUrl);
  app.all('/r/:slug', proxy);
  const server = http.createServer(app);
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      proxy.close();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('click redirect proxy', () => {
  const seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; port?: number }[] = [];
  let links: http.Server;
  let gw: Awaited<ReturnType<typeof gatewayTo>>;
  beforeAll(async () => {
    links = http.createServer((req, res) => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, port: req.socket.remotePort });
      if (req.url === '/r/missing') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"link_not_found"}}');
        return;
      }
      res.writeHead(302, {
        location: 'https://www.example.com/?ref=x&click_id=c1',
        'cache-control': 'no-store',
        'set-cookie': ['rgw_click=c1; Path=/', 'other=1; Path=/'],
        'x-internal': 'not for visitors',
      });
      res.end();
    });
    const port = await listen(links);
    gw = await gatewayTo(`http://127.0.0.1:${port}/graphql`);
  });
  afterAll(async () => {
    await gw.close();
    await new Promise((r) => links.close(r));
  });

  it('forwards the visitor headers, appends the visitor address and passes the 302 with every cookie', async () => {
    const res = await fetch(`${gw.url}/r/abc123`, { redirect: 'manual', headers: { 'user-agent': 'UA/1', referer: 'https://t.co/x', 'x-forwarded-for': '203.0.113.9', cookie: 'secret=1' } });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://www.example.com/?ref=x&click_id=c1');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.getSetCookie()).toEqual(['rgw_click=c1; Path=/', 'other=1; Path=/']);
    expect(res.headers.get('x-internal')).toBeNull();
    const got = seen[seen.length - 1];
    expect(got).toMatchObject({ method: 'GET', url: '/r/abc123' });
    expect(got.headers['user-agent']).toBe('UA/1');
    expect(got.headers.referer).toBe('https://t.co/x');
    expect(got.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(got.headers.cookie).toBeUndefined();
  });

  it('passes HEAD as HEAD, the slug encoded, and an upstream 404 with its body', async () => {
    const head = await fetch(`${gw.url}/r/abc`, { method: 'HEAD', redirect: 'manual' });
    expect(head.status).toBe(302);
    expect(seen[seen.length - 1].method).toBe('HEAD');
    const missing = await fetch(`${gw.url}/r/missing`, { redirect: 'manual' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'link_not_found' } });
    await fetch(`${gw.url}/r/a%2Fb`, { redirect: 'manual' });
    expect(seen[seen.length - 1].url).toBe('/r/a%2Fb');
  });

  it('reuses connections to links across requests', async () => {
    const before = seen.length;
    for (let i = 0; i < 5; i++) await fetch(`${gw.url}/r/k${i}`, { redirect: 'manual' });
    // One after the other, they all travel over one connection (the same client port).
    expect(new Set(seen.slice(before).map((s) => s.port)).size).toBe(1);
  });

  it('answers 502 links_unavailable when links is down', async () => {
    const down = await gatewayTo(`http://127.0.0.1:${await freePort()}/graphql`);
    try {
      const res = await fetch(`${down.url}/r/abc`, { redirect: 'manual' });
      expect(res.status).toBe(502);
      expect(await res.json()).toMatchObject({ error: { code: 'links_unavailable' } });
    } finally {
      await down.close();
    }
  });
});
