import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { freePort, waitFor } from './harness';

const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

/**
 * A redis-server of a test's own on a free port, so the test may stop, restart or flush it without
 * touching the shared one. Without `aof` it keeps nothing (`--save "" --appendonly no`): a
 * restart forgets everything, as a Redis without persistence does.
 */
export interface OwnRedis {
  url: string;
  /** Stops it (SIGKILL: nothing written on the way out): an outage until `start`. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty unless `aof`). */
  start(): Promise<void>;
  /** Stops and starts it; with `aof` the stop is polite (SIGTERM flushes the AOF), so the data comes back. */
  restart(): Promise<void>;
  /** Stops it for good and removes its directory. */
  close(): Promise<void>;
}

export function redisServerAvailable(): boolean {
  return fs.existsSync(REDIS_SERVER);
}

export async function startOwnRedis(options: { aof?: boolean } = {}): Promise<OwnRedis> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rgw-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  const persistence = options.aof ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  let child: ChildProcess | null = null;

  async function start(): Promise<void> {
    if (child) return;
    let output = '';
    const proc = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d) => (output += d));
    proc.stderr!.on('data', (d) => (output += d));
    child = proc;
    await waitFor(`redis-server on ${port}`, async () => {
      if (proc.exitCode !== null) throw new Error(`redis-server on ${port} exited with ${proc.exitCode}: ${output}`);
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        // LOADING (replaying the AOF) answers PING with an error: ready means a command works.
        await probe.dbsize();
        return true;
      } catch {
        return undefined;
      } finally {
        probe.disconnect();
      }
    }, [], 10_000);
  }

  async function kill(signal: NodeJS.Signals): Promise<void> {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    await exited;
  }

  await start();
  return {
    url,
    start,
    stop: () => kill('SIGKILL'),
    async restart() {
      await kill(options.aof ? 'SIGTERM' : 'SIGKILL');
      await start();
    },
    async close() {
      await kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
