import { DataSource, EntitySchema, MixedList } from 'typeorm';
import { Bus, Consumer, ConsumeOptions, PubSub } from './bus/bus';
import { createBus, createPubSub } from './bus/index';
import { Outbox, OutboxEntry, OutboxRelay, ProcessedFact } from './bus/outbox';
import { CommonSubgraphConfig } from './config';
import { openDataSource, QueryCounter } from './data-source';
import { configureLogger, logger } from './logger';
import Redis from 'ioredis';
import { MemoryReplayGuard, Principal, RedisReplayGuard, ReplayGuard, signingKey } from './principal';
import { Degradation, FAIL_FAST_REDIS } from './degraded';
import { FallbackReplayGuard } from './replay-fallback';
import { GraphQLSchema } from 'graphql';
import { RunningService, startSubgraphServer } from './server';

/** Bus and pub/sub handed in by the embedded launcher so all services share one of each. */
export interface SharedInfra {
  bus?: Bus;
  pubsub?: PubSub;
}

/** What a subgraph holds while it runs: its database, the bus, its outbox and relay. */
export class SubgraphRuntime {
  private readonly consumers: Consumer[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly closers: (() => Promise<void>)[] = [];
  private replayRedis: Redis | null = null;
  private _replayGuard: ReplayGuard | null = null;

  /**
   * Replicas behind one Redis share the memory of used principal tokens; while Redis is away
   * each process remembers its own, for a shorter lifetime (replay-fallback.ts).
   */
  get replayGuard(): ReplayGuard {
    if (!this._replayGuard) {
      if (this.config.redisUrl) {
        this.replayRedis = new Redis(this.config.redisUrl, { ...FAIL_FAST_REDIS, lazyConnect: true });
        this.replayRedis.on('error', () => undefined);
        this.replayRedis.connect().catch(() => undefined);
        const degradation = new Degradation(this.name, 'redis', 'replay_protection', 'principal tokens are remembered per process, for a shorter lifetime');
        this._replayGuard = new FallbackReplayGuard(new RedisReplayGuard(this.replayRedis, this.config.redisKeyPrefix), degradation);
      } else this._replayGuard = new MemoryReplayGuard();
    }
    return this._replayGuard;
  }

  /** Waits (briefly) for the replay guard's Redis connection, so the first requests do not fall back. */
  private async replayGuardConnected(): Promise<void> {
    const redis = this.replayRedis;
    if (!redis || redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, 2000);
      redis.once('ready', done);
    });
  }
  readonly outbox: Outbox;

  private constructor(
    readonly name: string,
    readonly config: CommonSubgraphConfig,
    readonly dataSource: DataSource,
    readonly queries: QueryCounter,
    readonly bus: Bus,
    readonly pubsub: PubSub,
    readonly relay: OutboxRelay,
    private readonly ownsInfra: boolean,
  ) {
    this.outbox = new Outbox(dataSource, name, relay.nudge);
  }

  static async open(
    name: string,
    config: CommonSubgraphConfig,
    entities: MixedList<Function | string | EntitySchema>,
    migrations: Function[],
    shared: SharedInfra = {},
  ): Promise<SubgraphRuntime> {
    configureLogger(config.logLevel);
    const { dataSource, queries } = await openDataSource(name, { databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize }, [...(entities as Function[]), OutboxEntry, ProcessedFact], migrations);
    const ownsInfra = !shared.bus;
    const redisUrl = config.bus === 'redis' ? config.redisUrl : undefined;
    const bus = shared.bus ?? createBus({ redisUrl, streamPrefix: `${config.redisKeyPrefix}facts:` });
    const pubsub = shared.pubsub ?? createPubSub({ redisUrl: config.redisUrl, channelPrefix: `${config.redisKeyPrefix}live:` });
    if (ownsInfra) {
      try {
        await bus.ping();
        await pubsub.ping();
      } catch (err) {
        await Promise.allSettled([bus.close(), pubsub.close(), dataSource.destroy()]);
        throw new Error(`${name}: cannot reach Redis at ${config.redisUrl}: ${(err as Error).message}`);
      }
    }
    const relay = new OutboxRelay(dataSource, bus, {
      source: name,
      pollMs: config.outboxPollMs,
      retentionMs: config.outboxRetentionMs,
      processedFactsRetentionMs: config.processedFactsRetentionMs,
      lossCheckMs: config.busLossCheckMs,
    });
    relay.start();
    return new SubgraphRuntime(name, config, dataSource, queries, bus, pubsub, relay, ownsInfra);
  }

  /** Runs `task` every `ms` until the runtime closes; a failure is logged and retried next time. */
  every(ms: number, task: () => Promise<void>): void {
    const log = logger(this.name);
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      task()
        .catch((err) => log.warn({ err: (err as Error).message }, 'scheduled task failed'))
        .finally(() => (running = false));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  /** Runs `fn` first when the runtime closes (workers that must finish before the database goes). */
  onClose(fn: () => Promise<void>): void {
    this.closers.push(fn);
  }

  /** Starts a bus consumer that lives as long as the runtime. */
  consume(options: ConsumeOptions): void {
    this.consumers.push(this.bus.consume(options));
  }

  /** Without its database a subgraph is not ready (/readyz 503). */
  readiness(): Record<string, () => Promise<unknown>> {
    return { database: () => this.dataSource.query('SELECT 1') };
  }

  /**
   * Without Redis it degrades (/readyz 200, `degraded: ["redis"]`): requests are answered,
   * facts wait in the outbox until the relay can publish them, live updates pause.
   */
  degradable(): Record<string, () => Promise<unknown>> {
    return { [this.bus.kind === 'redis' ? 'redis' : 'bus']: () => this.bus.ping() };
  }

  async close(): Promise<void> {
    const log = logger(this.name);
    for (const t of this.timers) clearInterval(t);
    await Promise.allSettled(this.closers.map((fn) => fn()));
    await Promise.allSettled(this.consumers.map((c) => c.stop()));
    await this.relay.stop();
    if (this.ownsInfra) await Promise.allSettled([this.bus.close(), this.pubsub.close()]);
    this.replayRedis?.disconnect();
    await this.dataSource.destroy().catch((err) => log.warn({ err: (err as Error).message }, 'closing the database failed'));
  }

  /** Serves the subgraph over HTTP; stopping the server closes the runtime. */
  serve<C extends object>(
    schema: GraphQLSchema,
    port: number,
    context: (principal: Principal) => C,
    routes?: (app: import('express').Express) => void,
    options: { subscriptions?: boolean } = {},
  ): Promise<RunningService> {
    const replayGuard = this.replayGuard;
    return this.replayGuardConnected().then(() => startSubgraphServer({
      name: this.name,
      host: this.config.host,
      port,
      schema,
      signingKeys: this.config.principalSecrets.map(signingKey),
      context,
      readiness: this.readiness(),
      degradable: this.degradable(),
      close: () => this.close(),
      production: this.config.nodeEnv === 'production',
      replayGuard,
      routes,
      subscriptions: options.subscriptions,
    })).catch(async (err) => {
      await this.close();
      throw err;
    });
  }
}
