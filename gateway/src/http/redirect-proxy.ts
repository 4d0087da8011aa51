import http from 'node:http';
import type { Request, Response } from 'express';
import { logger } from '../../../subgraphs/shared/src';

const PASS_REQUEST = ['user-agent', 'referer', 'accept-language'];
const PASS_RESPONSE = ['location', 'cache-control', 'content-type', 'content-length', 'referrer-policy', 'allow', 'set-cookie'];
const TIMEOUT_MS = 5000;

/**
 * `GET /r/:slug` on the gateway's origin, answered by the links subgraph: tracking URLs
 * stay on one public host. The visitor's address is appended to X-Forwarded-For; links
 * believes that header only from its TRUSTED_PROXIES.
 *
 * Plain `node:http` over a keep-alive agent: the redirect is the product's hottest path,
 * and WHATWG fetch cost about a third of its throughput (see bench/README.md).
 */
export function clickRedirectProxy(linksGraphqlUrl: string) {
  const upstream = new URL(linksGraphqlUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });
  const log = logger('gateway.redirect');
  const unavailable = (res: Response, reason: string) => {
    log.error({ err: reason }, 'links unreachable for a click redirect');
    if (!res.headersSent) res.status(502).json({ error: { code: 'links_unavailable', message: 'the link service is unreachable; try again' } });
    else res.destroy();
  };
  const handler = (req: Request, res: Response) => {
    const headers: Record<string, string> = {};
    for (const h of PASS_REQUEST) {
      const v = req.header(h);
      if (v) headers[h] = v;
    }
    headers['x-forwarded-for'] = [req.header('x-forwarded-for'), req.socket.remoteAddress].filter(Boolean).join(', ');
    headers['x-forwarded-proto'] = req.protocol;
    const out = http.request(
      {
        agent,
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: `/r/${encodeURIComponent(String(req.params.slug))}`,
        headers,
        timeout: TIMEOUT_MS,
      },
      (answer) => {
        res.status(answer.statusCode ?? 502);
        for (const h of PASS_RESPONSE) {
          const v = answer.headers[h];
          if (v !== undefined) res.set(h, v as string | string[]);
        }
        answer.pipe(res);
        answer.on('error', (err) => unavailable(res, err.message));
      },
    );
    out.on('timeout', () => out.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    out.on('error', (err) => unavailable(res, err.message));
    out.end();
  };
  return Object.assign(handler, { close: () => agent.destroy() });
}
