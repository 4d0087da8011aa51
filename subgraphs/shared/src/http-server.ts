import http from 'node:http';
import { AddressInfo } from 'node:net';

/** Listens, turning "port taken" and friends into start-up errors that say what and why. */
export function listen(server: http.Server, port: number, host: string, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') reject(new Error(`${what}: port ${port} on ${host} is already in use (set a different port)`));
      else if (err.code === 'EACCES') reject(new Error(`${what}: not allowed to listen on port ${port}`));
      else reject(new Error(`${what}: cannot listen on ${host}:${port}: ${err.message}`));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes what is left. */
export function closeServer(server: http.Server, graceMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

export function urlFor(host: string, port: number, path = ''): string {
  const h = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `http://${h}:${port}${path}`;
}
