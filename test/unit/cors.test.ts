import http from 'node:http';
import { AddressInfo } from 'node:net';
import express from 'express';
import { ConfigError, EnvReader } from '../../subgraphs/shared/src/config';
import { readGatewayConfig } from '../../gateway/src/config';
import { corsMiddleware, originAllowed, parseCorsOrigins } from '../../gateway/src/http/cors';

const SECRET = 'x'.repeat(32);

function read(env: Record<string, string>, standalone = true) {
  const reader = new EnvReader({ PRINCIPAL_SECRET: SECRET, ...env });
  const config = readGatewayConfig(reader, { standalone });
  let problems: string[] = [];
  try {
    reader.done();
  } catch (err) {
    problems = (err as ConfigError).problems;
  }
  return { config, problems };
}

describe('CORS_ORIGINS', () => {
  it('defaults to http://localhost:* and http://127.0.0.1:* for npm start, and to no origin for a gateway of its own or in production', () => {
    expect(read({}, false).config.corsOrigins).toEqual(['http://localhost:*', 'http://127.0.0.1:*']);
    expect(read({}).config.corsOrigins).toEqual([]);
    expect(read({ NODE_ENV: 'production' }, false).config.corsOrigins).toEqual([]);
  });

  it('takes comma-separated origins, normalized as browsers send them, with :* for any port', () => {
    const { config, problems } = read({ CORS_ORIGINS: ' https://App.Broker.example , http://localhost:3000/,https://portal.example:443, http://[::1]:*, https://app.broker.example' });
    expect(problems).toEqual([]);
    expect(config.corsOrigins).toEqual(['https://app.broker.example', 'http://localhost:3000', 'https://portal.example', 'http://[::1]:*']);
  });

  it('takes * alone for any origin, and none for no origin even under npm start', () => {
    expect(read({ CORS_ORIGINS: '*' }).config.corsOrigins).toEqual(['*']);
    expect(read({ CORS_ORIGINS: 'none' }, false).config.corsOrigins).toEqual([]);
  });

  it.each([
    ['app.example.com', '"app.example.com" is not an origin'],
    ['https://app.example.com/path', '"https://app.example.com/path" is not an origin'],
    ['ftp://files.example.com', '"ftp://files.example.com" is not an origin'],
    ['https://user:pw@app.example.com', '"https://user:pw@app.example.com" is not an origin'],
    ['https://app.example.com?x=1', '"https://app.example.com?x=1" is not an origin'],
    ['http://localhost:3000:*', '"http://localhost:3000:*" is not an origin'],
    ['*, https://app.example.com', '* allows every origin, so it must be the only entry'],
    [',,', 'CORS_ORIGINS must list origins'],
  ])('refuses %p at start-up, naming CORS_ORIGINS and what is allowed', (value, why) => {
    const { problems } = read({ CORS_ORIGINS: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^CORS_ORIGINS/);
    expect(problems[0]).toContain(why);
  });

  it('matches origins exactly, a port wildcard on its host and scheme only', () => {
    const allowed = parseCorsOrigins('https://app.example.com,http://localhost:*') as { origins: string[] };
    expect(originAllowed('https://app.example.com', allowed.origins)).toBe(true);
    expect(originAllowed('http://localhost:5173', allowed.origins)).toBe(true);
    expect(originAllowed('http://localhost', allowed.origins)).toBe(true);
    for (const other of ['http://app.example.com', 'https://app.example.com:8443', 'https://evil.app.example.com', 'https://localhost:5173', 'http://localhost.evil.example:80', 'null']) {
      expect({ other, allowed: originAllowed(other, allowed.origins) }).toEqual({ other, allowed: false });
    }
    expect(originAllowed('null', ['*'])).toBe(true);
  });
});

describe('the CORS middleware', () => {
  let server: http.Server;
  let base: string;
  let origins: string[] = [];
  beforeAll(async () => {
    const app = express();
    app.use('/api', (req, res, next) => corsMiddleware(origins, ['GET', 'POST', 'OPTIONS'])(req, res, next));
    app.all('/api', (_req, res) => {
      res.status(200).json({ ok: true });
    });
    server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const preflight = (origin: string) => fetch(`${base}/api`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });

  it('with * answers any origin with a literal *', async () => {
    origins = ['*'];
    const pre = await preflight('https://any.example');
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    const res = await fetch(`${base}/api`, { headers: { origin: 'https://any.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('refuses the preflight of another origin with 403 and no CORS headers, and leaves its simple requests without them', async () => {
    origins = ['https://app.example.com'];
    const pre = await preflight('https://evil.example');
    expect(pre.status).toBe(403);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(((await pre.json()) as { error: string }).error).toBe('origin_not_allowed');
    const res = await fetch(`${base}/api`, { headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('vary')).toMatch(/origin/i);
  });

  it('leaves requests without Origin (servers, curl) and every request with no origins configured untouched', async () => {
    origins = ['https://app.example.com'];
    const plain = await fetch(`${base}/api`);
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
    origins = [];
    const pre = await preflight('https://app.example.com');
    expect(pre.status).toBe(200); // the route's own answer: no CORS layer at all
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  });
});
