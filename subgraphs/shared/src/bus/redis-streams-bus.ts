import { randomBytes } from 'crypto';
import os from 'os';
import Redis from 'ioredis';
import { logger, type Logger } from '../logger';
import type { ConsumeOptions, Consumer, Fact, FactHandler, ForgetfulBus, OutboxMark } from './bus';
import { busMetrics } from './metrics';

const DEFAULT_REDELIVER_AFTER_MS = 30_000;
const DEFAULT_BATCH_SIZE = 100;
const PING_TIMEOUT_MS = 2_000;
const MIN_ERROR_BACKOFF_MS = 100;
const MAX_ERROR_BACKOFF_MS = 5_000;

export interface RedisStreamsBusOptions {
  /** Stream key of a fact type is `<streamPrefix><type>`. Default `rgw:facts:`. */
  streamPrefix?: string;
  /** Consumer name in Redis. Default `<hostname>-<pid>-<random>`. */
  consumerName?: string;
  /** How long one blocking read waits for new entries. Default 1000 ms. */
  blockMs?: number;
}

/** A stream entry as ioredis returns it: `[id, [field, value, ...]]`; fields are nil once deleted. */
type RawEntry = [string, string[] | null] | null;

/**
 * Publishes an outbox's facts and advances its mark in one script: Redis runs and replicates a
 * script as a unit, so a replica (or an AOF) holding the mark holds every fact before it. A
 * missing mark means Redis forgot it: a new epoch starts. KEYS: mark, then one stream per fact;
 * ARGV: a new epoch id, then one body per fact. No MAXLEN: streams are trimmed only below what
 * every group acknowledged (`trimAcknowledged`).
 */
const PUBLISH_FROM_OUTBOX = `
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'position', 0)
end
for i = 2, #KEYS do
  redis.call('XADD', KEYS[i], '*', 'f', ARGV[i])
end
local position = redis.call('HINCRBY', KEYS[1], 'position', #KEYS - 1)
return {epoch, tostring(position)}
`;

/**
 * Bus on Redis streams: one stream per fact type, one Redis consumer group per bus group.
 * An entry is acknowledged when its handler resolves; one that stays unacknowledged
 * (handler failed, or its consumer died) is taken over by `XAUTOCLAIM` once idle for
 * `redeliverAfterMs`.
 */
export class RedisStreamsBus implements ForgetfulBus {
  readonly kind = 'redis' as const;
  private readonly log: Logger;
  /** Shared connection for every non-blocking command (publish, ack, claim, group setup). */
  private readonly client: Redis;
  private readonly streamPrefix: string;
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
    this.consumerName = options.consumerName ?? `${os.hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.blockMs = options.blockMs ?? 1_000;
    this.client = this.connect('command', {});
  }

  async publish(fact: Fact): Promise<void> {
    if (this.closed) throw new Error('RedisStreamsBus is closed');
    await this.client.xadd(this.stream(fact.type), '*', 'f', JSON.stringify(fact));
  }

  async publishFromOutbox(outbox: string, facts: { type: string; body: string }[]): Promise<OutboxMark> {
    if (this.closed) throw new Error('RedisStreamsBus is closed');
    const keys = [this.markKey(outbox), ...facts.map((f) => this.stream(f.type))];
    const [epoch, position] = (await this.client.eval(PUBLISH_FROM_OUTBOX, keys.length, ...keys, randomBytes(8).toString('hex'), ...facts.map((f) => f.body))) as [string, string];
    return { epoch, position: Number(position) };
  }

  async outboxMark(outbox: string): Promise<OutboxMark | null> {
    const [epoch, position] = await this.client.hmget(this.markKey(outbox), 'epoch', 'position');
    return epoch ? { epoch, position: Number(position ?? 0) } : null;
  }

  async serverRunId(): Promise<string> {
    const info = await this.client.info('server');
    const runId = /^run_id:(\w+)/m.exec(info)?.[1];
    if (!runId) throw new Error('INFO server has no run_id');
    return runId;
  }

  async missingStreams(types: string[]): Promise<string[]> {
    if (!types.length) return [];
    const pipeline = this.client.pipeline();
    for (const type of types) pipeline.exists(this.stream(type));
    const replies = (await pipeline.exec()) ?? [];
    return types.filter((_, i) => {
      const [err, exists] = replies[i] ?? [null, 0];
      if (err) throw err;
      return exists === 0;
    });
  }

  async trimAcknowledged(types: string[], keepUnreadMs: number): Promise<number> {
    let removed = 0;
    for (const type of types) {
      const stream = this.stream(type);
      const minId = await this.safeTrimPoint(stream, keepUnreadMs);
      if (minId) removed += Number(await this.client.xtrim(stream, 'MINID', minId));
    }
    if (removed) busMetrics.trimmed().inc(removed);
    return removed;
  }

  /**
   * The lowest entry id some group still needs: per group, its oldest pending (delivered, not
   * acknowledged) entry, or the first after its last delivered one. Everything below it was
   * acknowledged by every group. Without groups, only entries older than `keepUnreadMs` go.
   */
  private async safeTrimPoint(stream: string, keepUnreadMs: number): Promise<string | null> {
    let groups: unknown[];
    try {
      groups = (await this.client.xinfo('GROUPS', stream)) as unknown[];
    } catch (err) {
      if (String((err as Error)?.message).includes('no such key')) return null;
      throw err;
    }
    if (!groups.length) return `${Math.max(0, Date.now() - keepUnreadMs)}-0`;
    let lowest: string | null = null;
    for (const raw of groups) {
      const info = fieldsOf(raw as unknown[]);
      let needed = nextId(String(info['last-delivered-id'] ?? '0-0'));
      if (Number(info.pending ?? 0) > 0) {
        const [, oldestPending] = (await this.client.xpending(stream, String(info.name))) as [number, string | null, string | null, unknown];
        if (oldestPending && compareIds(oldestPending, needed) < 0) needed = oldestPending;
      }
      if (!lowest || compareIds(needed, lowest) < 0) lowest = needed;
    }
    return lowest;
  }

  private markKey(outbox: string): string {
    // Fact types are dotted names without "~", so the mark never shares a key with a stream.
    return `${this.streamPrefix}~outbox:${outbox}`;
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
        if (String((err as Error)?.message).includes('NOGROUP')) this.groupVanished();
        failures++;
        const delay = Math.min(MIN_ERROR_BACKOFF_MS * 2 ** (failures - 1), MAX_ERROR_BACKOFF_MS);
        this.s.log.warn({ err, group: this.s.group, consumer: this.s.name, retryInMs: delay }, 'bus consumer loop error');
        await this.sleep(delay);
      }
    }
    await quit(this.s.blocking);
    this.s.onStopped();
  }

  /**
   * A group (or its stream) that existed is gone: Redis lost data (restarted without
   * persistence, flushed, failed over). Recreating it from the start of the stream delivers
   * whatever the stream still holds; the producers' relays republish what it lost.
   */
  private groupVanished(): void {
    if (this.groupsReady) {
      busMetrics.lossDetected().inc({ reason: 'group_missing' });
      this.s.log.warn({ group: this.s.group, streams: this.s.streams }, 'consumer group gone from Redis (Redis lost data?); recreating it from the start of its streams');
    }
    this.groupsReady = false;
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

/** `[k1, v1, k2, v2, ...]` as an object. */
function fieldsOf(list: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[String(list[i])] = list[i + 1];
  return out;
}

/** The smallest id after `id`. */
function nextId(id: string): string {
  const [ms, seq] = id.split('-');
  return `${ms}-${BigInt(seq ?? '0') + 1n}`;
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
