import http from 'node:http';
import { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A local webhook receiver: answers per path with a programmable sequence of statuses. */
export async function startReceiver() {
  const requests: Received[] = [];
  const plans = new Map<string, number[]>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const path = req.url ?? '/';
      requests.push({ path, headers: req.headers, body, at: Date.now() });
      const plan = plans.get(path);
      const status = plan && plan.length > 1 ? plan.shift()! : plan?.[0] ?? 200;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 300 ? `status ${status} from the test receiver` : 'ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    /** Statuses answered in turn; the last one repeats. */
    plan: (path: string, statuses: number[]) => plans.set(path, [...statuses]),
    requests,
    at: (path: string) => requests.filter((r) => r.path === path),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
