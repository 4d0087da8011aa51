import { randomBytes } from 'crypto';
import os from 'os';
import Redis from 'ioredis';
import { logger, type Logger } from '../logger';
import type { Bus, ConsumeOptions, Consumer, Fact, FactHandler } from './bus';

const DEFAULT_REDELIVER_AFTER_MS = 30_000;
const DEFAULT_BATCH_SIZE = 100;
const PING_TIMEOUT_MS = 2_000;
const MIN_ERROR_BACKOFF_MS = 100;
const MAX_ERROR_BACKOFF_MS = 5_000;

export interface RedisStreamsBusOptions {
  /** Stream key of a fact type is `<streamPrefix><type>`. Default `rgw:facts:`. */
  streamPrefix?: string;
  /** Approximate `MAXLEN ~` trimming per stream. Default 1 000 000. */
  maxLen?: number;
  /** Consumer name in Redis. Default `<hostname>-<pid>-<random>`. */
  consumerName?: string;
  /** How long one blocking read waits for new entries. Default 1000 ms. */
  blockMs?: number;
}

/** A stream entry as ioredis returns it: `[id, [field, value, ...]]`; fields are nil once deleted. */
type RawEntry = [string, string[] | null] | null;

/**
 * Bus on Redis streams: one stream per fact type, one Redis consumer group per bus group.
 * An entry is acknowledged when its handler resolves; one that stays unacknowledged
 * (handler failed, or its consumer died) is taken over by `XAUTOCLAIM` once idle for
 * `redeliverAfterMs`.
 */
export class RedisStreamsBus implements Bus {
  readonly kind = 'redis' as const;
  private readonly log: Logger;
  /** Shared connection for every non-blocking command (publish, ack, claim, group setup). */
  private readonly client: Redis;
  private readonly streamPrefix: string;
  private readonly maxLen: number;
  private readonly consumerName: string;
  private readonly blockMs: number;
  private readonly consumers = new Set<RedisStreamConsumer>();
  private readonly consumersPerGroup = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly redisUrl: string,
    options: RedisStreamsBusOptions = {},
  ) {
    this.log = logger('bus');
    this.streamPrefix = options.streamPrefix ?? 'rgw:facts:';
    this.maxLen = options.maxLen ?? 1_000_000;
    this.consumerName = options.consumerName ?? `${os.hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.blockMs = options.blockMs ?? 1_000;
    this.client = this.connect('command', {});
  }

  async publish(fact: Fact): Promise<void> {
    if (this.closed) throw new Error('RedisStreamsBus is closed');
    await this.client.xadd(this.stream(fact.type), 'MAXLEN', '~', this.maxLen, '*', 'f', JSON.stringify(fact));
  }

  consume(options: ConsumeOptions): Consumer {
    if (this.closed) throw new Error('RedisStreamsBus is closed');
    // Two consumers of one group in one process must be distinct Redis consumers, or
    // XAUTOCLAIM would treat the entries of one as the other's.
    const n = (this.consumersPerGroup.get(options.group) ?? 0) + 1;
    this.consumersPerGroup.set(options.group, n);
    const name = n === 1 ? this.consumerName : `${this.consumerName}-${n}`;
    const consumer = new RedisStreamConsumer({
      client: this.client,
      // Named after the consumer so that CLIENT LIST tells which consumer a blocked read is.
      blocking: this.connect('blocking', { maxRetriesPerRequest: null, connectionName: name.replace(/\s/g, '_') }),
      name,
      streams: options.types.map((type) => this.stream(type)),
      group: options.group,
      handler: options.handler,
      redeliverAfterMs: options.redeliverAfterMs ?? DEFAULT_REDELIVER_AFTER_MS,
      batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
      blockMs: this.blockMs,
      log: this.log,
      onStopped: () => this.consumers.delete(consumer),
    });
    this.consumers.add(consumer);
    return consumer;
  }

  async ping(): Promise<void> {
    // Commands queue while disconnected; a readiness probe wants a prompt answer instead.
    await withTimeout(this.client.ping(), PING_TIMEOUT_MS, 'Redis PING timed out');
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.consumers].map((consumer) => consumer.stop()));
    await quit(this.client);
  }

  private stream(type: string): string {
    return `${this.streamPrefix}${type}`;
  }

  private connect(role: string, extra: { maxRetriesPerRequest?: null; connectionName?: string }): Redis {
    const connection = new Redis(this.redisUrl, { lazyConnect: false, ...extra });
    // Without a listener ioredis prints every connection error to stderr; it reconnects on its own.
    connection.on('error', (err) => this.log.warn({ err, role }, 'redis connection error'));
    return connection;
  }
}

interface ConsumerSetup {
  client: Redis;
  blocking: Redis;
  name: string;
  streams: string[];
  group: string;
  handler: FactHandler;
  redeliverAfterMs: number;
  batchSize: number;
  blockMs: number;
  log: Logger;
  onStopped: () => void;
}

class RedisStreamConsumer implements Consumer {
  private stopped = false;
  private reading = false;
  private groupsReady = false;
  private nextClaimAt = 0;
  private wake: (() => void) | undefined;
  private readonly loop: Promise<void>;

  constructor(private readonly s: ConsumerSetup) {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.wake?.();
      // A blocking read would hold stop for up to blockMs; nothing read is lost by
      // cutting it, since unread entries stay in the stream for the group.
      if (this.reading) this.s.blocking.disconnect();
    }
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (!this.groupsReady) await this.createGroups();
        if (Date.now() >= this.nextClaimAt) {
          await this.claimIdle();
          // Half the idle threshold, so a stuck entry waits at most ~1.5× redeliverAfterMs.
          this.nextClaimAt = Date.now() + Math.max(50, Math.floor(this.s.redeliverAfterMs / 2));
        }
        if (this.stopped) break;
        await this.readNew();
        failures = 0;
      } catch (err) {
        if (this.stopped) break;
        if (String((err as Error)?.message).includes('NOGROUP')) this.groupsReady = false;
        failures++;
        const delay = Math.min(MIN_ERROR_BACKOFF_MS * 2 ** (failures - 1), MAX_ERROR_BACKOFF_MS);
        this.s.log.warn({ err, group: this.s.group, consumer: this.s.name, retryInMs: delay }, 'bus consumer loop error');
        await this.sleep(delay);
      }
    }
    await quit(this.s.blocking);
    this.s.onStopped();
  }

  private async createGroups(): Promise<void> {
    for (const stream of this.s.streams) {
      try {
        // From 0, not $: a group must also get the facts published before it existed.
        await this.s.client.xgroup('CREATE', stream, this.s.group, '0', 'MKSTREAM');
      } catch (err) {
        if (!String((err as Error)?.message).startsWith('BUSYGROUP')) throw err;
      }
    }
    this.groupsReady = true;
  }

  private async readNew(): Promise<void> {
    const block = Math.max(1, Math.min(this.s.blockMs, this.nextClaimAt - Date.now()));
    this.reading = true;
    let reply: [string, RawEntry[]][] | null;
    try {
      reply = (await this.s.blocking.xreadgroup(
        'GROUP', this.s.group, this.s.name,
        'COUNT', this.s.batchSize,
        'BLOCK', block,
        'STREAMS', ...this.s.streams, ...this.s.streams.map(() => '>'),
      )) as [string, RawEntry[]][] | null;
    } finally {
      this.reading = false;
    }
    if (!reply) return;
    const entries = reply.flatMap(([stream, list]) => list.map((entry) => ({ stream, entry })));
    // Ids are `<ms>-<seq>` with a per-stream seq: sorting keeps each type in order and
    // restores publish order across types to the millisecond, which is all Redis can tell.
    entries.sort((a, b) => compareIds(a.entry![0], b.entry![0]));
    for (const { stream, entry } of entries) {
      if (this.stopped) return;
      await this.handleEntry(stream, entry);
    }
  }

  private async claimIdle(): Promise<void> {
    for (const stream of this.s.streams) {
      let cursor = '0-0';
      do {
        if (this.stopped) return;
        const [next, claimed, deleted] = (await this.s.client.xautoclaim(
          stream, this.s.group, this.s.name, this.s.redeliverAfterMs, cursor, 'COUNT', this.s.batchSize,
        )) as [string, RawEntry[], string[] | undefined];
        // Redis 7 drops trimmed entries from the PEL itself and reports them; acking is then a
        // harmless no-op, and it is what removes them on 6.2, which returns them as nil entries.
        if (deleted && deleted.length > 0) await this.s.client.xack(stream, this.s.group, ...deleted);
        for (const entry of claimed) {
          if (this.stopped) return;
          await this.handleEntry(stream, entry);
        }
        cursor = next;
      } while (cursor !== '0-0');
    }
  }

  private async handleEntry(stream: string, entry: RawEntry): Promise<void> {
    if (!entry) return;
    const [id, fields] = entry;
    const fact = fields ? parseFact(fields) : undefined;
    if (!fact) {
      // Trimmed away or not a fact: no handler can ever succeed on it, so drop it rather
      // than redelivering it forever.
      if (fields) this.s.log.error({ stream, entryId: id, group: this.s.group }, 'unreadable bus entry skipped');
      await this.s.client.xack(stream, this.s.group, id);
      return;
    }
    try {
      await this.s.handler(fact);
    } catch (err) {
      this.s.log.warn(
        { err, factId: fact.id, factType: fact.type, group: this.s.group, entryId: id, redeliverAfterMs: this.s.redeliverAfterMs },
        'fact handler failed; will redeliver',
      );
      return;
    }
    await this.s.client.xack(stream, this.s.group, id);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

function parseFact(fields: string[]): Fact | undefined {
  const index = fields.indexOf('f');
  if (index < 0 || index % 2 !== 0) return undefined;
  try {
    const fact = JSON.parse(fields[index + 1]) as Fact;
    return fact && typeof fact.id === 'string' && typeof fact.type === 'string' ? fact : undefined;
  } catch {
    return undefined;
  }
}

function compareIds(a: string, b: string): number {
  const [aMs, aSeq] = a.split('-').map(Number);
  const [bMs, bSeq] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}

/** @internal shared with pubsub.ts; not part of the bus API. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * @internal shared with pubsub.ts. Polite QUIT when possible; a connection that is down
 * or already closed is just dropped.
 */
export async function quit(connection: Redis): Promise<void> {
  if (connection.status === 'end') return;
  try {
    await withTimeout(connection.quit(), PING_TIMEOUT_MS, 'Redis QUIT timed out');
  } catch {
    connection.disconnect();
  }
}
