import type { Request, Response } from 'express';
import { logger } from '../../../subgraphs/shared/src';

const PASS_REQUEST = ['user-agent', 'referer', 'accept-language'];
const PASS_RESPONSE = ['location', 'cache-control', 'content-type', 'referrer-policy', 'allow'];

/**
 * `GET /r/:slug` on the gateway's origin, answered by the links subgraph: tracking URLs
 * stay on one public host. The visitor's address is appended to X-Forwarded-For; links
 * believes that header only from its TRUSTED_PROXIES.
 */
export function clickRedirectProxy(linksGraphqlUrl: string) {
  const origin = new URL(linksGraphqlUrl).origin;
  const log = logger('gateway.redirect');
  return async (req: Request, res: Response) => {
    const headers: Record<string, string> = {};
    for (const h of PASS_REQUEST) {
      const v = req.header(h);
      if (v) headers[h] = v;
    }
    headers['x-forwarded-for'] = [req.header('x-forwarded-for'), req.socket.remoteAddress].filter(Boolean).join(', ');
    headers['x-forwarded-proto'] = req.protocol;
    try {
      const upstream = await fetch(`${origin}/r/${encodeURIComponent(String(req.params.slug))}`, {
        method: req.method === 'HEAD' ? 'HEAD' : req.method === 'GET' ? 'GET' : req.method,
        headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(5000),
      });
      res.status(upstream.status);
      for (const h of PASS_RESPONSE) {
        const v = upstream.headers.get(h);
        if (v) res.set(h, v);
      }
      const cookies = upstream.headers.getSetCookie();
      if (cookies.length) res.set('set-cookie', cookies);
      res.send(Buffer.from(await upstream.arrayBuffer()));
    } catch (err) {
      log.error({ err: (err as Error).message }, 'links unreachable for a click redirect');
      res.status(502).json({ error: { code: 'links_unavailable', message: 'the link service is unreachable; try again' } });
    }
  };
}
