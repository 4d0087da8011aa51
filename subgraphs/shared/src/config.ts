import { parseFxRates } from './fx';

/**
 * Reading configuration: each service's `config.ts` reads `process.env` once through an
 * EnvReader, which applies defaults, validates, and remembers every variable name it
 * was asked for (the docker-compose test checks compose files against those names).
 * All problems are reported together, each naming its variable.
 */
export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

export class EnvReader {
  readonly names = new Set<string>();
  readonly problems: string[] = [];

  constructor(private readonly env: Record<string, string | undefined>) {}

  private raw(name: string): string | undefined {
    this.names.add(name);
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optional(name: string): string | undefined {
    return this.raw(name);
  }

  required(name: string, why: string): string {
    const v = this.raw(name);
    if (v === undefined) {
      this.problems.push(`${name} is required: ${why}`);
      return '';
    }
    return v;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!/^-?\d+$/.test(v) || n < min || n > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}; got "${v}"`);
      return fallback;
    }
    return n;
  }

  port(name: string, fallback: number): number {
    return this.int(name, fallback, 0, 65535);
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (/^(true|1|yes)$/i.test(v)) return true;
    if (/^(false|0|no)$/i.test(v)) return false;
    this.problems.push(`${name} must be true or false; got "${v}"`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(v)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')}; got "${v}"`);
      return fallback;
    }
    return v as T;
  }

  url(name: string, protocols: string[], fallback?: string): string | undefined {
    const v = this.raw(name) ?? fallback;
    if (v === undefined) return undefined;
    try {
      const u = new URL(v);
      if (!protocols.includes(u.protocol)) throw new Error();
      return v;
    } catch {
      this.problems.push(`${name} must be a ${protocols.map((p) => p.replace(':', '://')).join(' or ')} URL; got "${v}"`);
      return undefined;
    }
  }

  /** Throws ConfigError listing every problem found. */
  done(): void {
    if (this.problems.length) throw new ConfigError(this.problems);
  }
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Settings every subgraph shares. */
export interface CommonSubgraphConfig {
  host: string;
  nodeEnv: string;
  logLevel: LogLevel;
  databaseUrl?: string;
  dataDir: string;
  dbPoolSize: number;
  redisUrl?: string;
  /** Prefix of every Redis key and channel, so several deployments can share one Redis. */
  redisKeyPrefix: string;
  bus: 'memory' | 'redis';
  principalSecrets: string[];
  outboxPollMs: number;
  /** Published facts are kept, and republished when Redis loses them, this long after their creation. */
  outboxRetentionMs: number;
  /** Consumers remember processed fact ids this long: covers the outbox retention plus a day. */
  processedFactsRetentionMs: number;
  /** How often each relay asks Redis whether it lost facts. */
  busLossCheckMs: number;
}

/**
 * Retention of the outbox (the republish window) and of the inbox (the de-duplication window):
 * the inbox must outlive every republish by a day, or a fact republished near the end of its
 * retention could be applied twice.
 */
function readRetention(env: EnvReader): { outboxRetentionMs: number; processedFactsRetentionMs: number } {
  const outboxHours = env.int('OUTBOX_RETENTION_HOURS', 168, 1, 24 * 366);
  const processedHours = env.int('PROCESSED_FACTS_RETENTION_HOURS', outboxHours + 24, 25, 24 * 366 + 24);
  if (processedHours < outboxHours + 24) {
    env.problems.push(
      `PROCESSED_FACTS_RETENTION_HOURS must be at least OUTBOX_RETENTION_HOURS + 24 (${outboxHours + 24}): consumers must remember every fact the outbox may republish; got "${processedHours}"`,
    );
  }
  return { outboxRetentionMs: outboxHours * 3_600_000, processedFactsRetentionMs: Math.max(processedHours, outboxHours + 24) * 3_600_000 };
}

export function readCommonSubgraphConfig(env: EnvReader, options: { standalone: boolean }): CommonSubgraphConfig {
  const redisUrl = env.url('REDIS_URL', ['redis:', 'rediss:']);
  const bus = env.oneOf('BUS', ['memory', 'redis'] as const, redisUrl ? 'redis' : 'memory');
  if (bus === 'redis' && !redisUrl) env.problems.push('BUS=redis needs REDIS_URL');
  const current = options.standalone
    ? env.required('PRINCIPAL_SECRET', 'the secret the gateway signs principals with (at least 32 characters)')
    : env.optional('PRINCIPAL_SECRET') ?? '';
  if (current && current.length < 32) env.problems.push('PRINCIPAL_SECRET must be at least 32 characters');
  const previous = env.optional('PRINCIPAL_SECRET_PREVIOUS');
  const nodeEnv = env.string('NODE_ENV', 'development');
  const databaseUrl = env.url('DATABASE_URL', ['postgres:', 'postgresql:']);
  if (options.standalone && nodeEnv === 'production') {
    // A production replica on a local SQLite file or an in-process bus would silently lose facts.
    if (!databaseUrl) env.problems.push('DATABASE_URL is required when NODE_ENV=production (PostgreSQL)');
    if (!redisUrl) env.problems.push('REDIS_URL is required when NODE_ENV=production (facts cross processes on Redis Streams)');
  }
  return {
    host: env.string('HOST', '0.0.0.0'),
    nodeEnv,
    logLevel: env.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    databaseUrl,
    dataDir: env.string('DATA_DIR', './data'),
    dbPoolSize: env.int('DB_POOL_SIZE', 10, 1, 500),
    redisUrl,
    redisKeyPrefix: env.string('REDIS_KEY_PREFIX', 'rgw:'),
    bus,
    principalSecrets: [current, previous].filter((s): s is string => !!s),
    outboxPollMs: env.int('OUTBOX_POLL_MS', 500, 10, 60_000),
    ...readRetention(env),
    busLossCheckMs: env.int('BUS_LOSS_CHECK_MS', 5_000, 100, 600_000),
  };
}

/** Secrets shared by services that are not the principal secret: click ids and sealed secrets. */
export interface SharedSecrets {
  /** HMAC keys of click ids, current first (links signs, events verifies). */
  clickIdSecrets: string[];
  /** Encrypts stored secrets (link token keys, postback signing secrets). */
  secretsKey: string;
}

export function readSharedSecrets(env: EnvReader, options: { standalone: boolean }): SharedSecrets {
  const need = (name: string, why: string) => (options.standalone ? env.required(name, why) : env.optional(name) ?? '');
  const click = need('CLICK_ID_SECRET', 'signs click ids so events can trust them without asking links (at least 32 characters, the same for links and events)');
  const secretsKey = need('SECRETS_KEY', 'encrypts stored secrets such as partner-token keys (at least 32 characters; keep it: secrets sealed with it are lost without it)');
  for (const [name, value] of [['CLICK_ID_SECRET', click], ['SECRETS_KEY', secretsKey]] as const) {
    if (value && value.length < 32) env.problems.push(`${name} must be at least 32 characters`);
  }
  const previous = env.optional('CLICK_ID_SECRET_PREVIOUS');
  return { clickIdSecrets: [click, previous].filter((s): s is string => !!s), secretsKey };
}

/**
 * FX_RATES: static exchange rates ("EUR:USD=1.085,GBP:USD=1.27", fx.ts parseFxRates), the undated fallback after
 * the tenant's rate table. Events (isConversion against a CPA minAmount) and commissions (the payout) both read it
 * here, so one setting converts a deposit alike on both sides. Returns the text; a bad value is a start-up problem.
 */
export function readFxRates(env: EnvReader): string {
  const text = env.string('FX_RATES', '');
  try {
    parseFxRates(text);
  } catch (err) {
    env.problems.push(`FX_RATES must be comma-separated FROM:TO=rate entries such as EUR:USD=1.085: ${(err as Error).message}`);
  }
  return text;
}
