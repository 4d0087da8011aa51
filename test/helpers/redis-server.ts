import { ChildProcess, spawn } from 'node:child_process';
import Redis from 'ioredis';
import { freePort, waitFor } from './harness';

/**
 * A Redis server of a suite's own on a free port, without persistence, that the suite can
 * stop (an outage) and start again on the same port (empty, as after a restart without
 * persistence), never touching the machine's shared Redis.
 */
export interface OwnRedis {
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function ownRedis(binary = process.env.REDIS_SERVER ?? '/usr/bin/redis-server'): Promise<OwnRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let output = '';
  const answers = async () => {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG' ? true : undefined;
    } finally {
      probe.disconnect();
    }
  };
  const server: OwnRedis = {
    url,
    async start() {
      output = '';
      const c = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
      c.stdout!.on('data', (d) => (output += d));
      c.stderr!.on('data', (d) => (output += d));
      child = c;
      await waitFor(`redis-server on port ${port}`, async () => {
        if (c.exitCode !== null) throw new Error(`redis-server exited (${c.exitCode}): ${output}`);
        return answers();
      }, [], 10_000);
    },
    async stop() {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    },
  };
  await server.start();
  return server;
}
