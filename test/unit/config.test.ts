import { ConfigError, EnvReader, readCommonSubgraphConfig } from '../../subgraphs/shared/src/config';
import { readGatewayConfig } from '../../gateway/src/config';

const SECRET = 'x'.repeat(32);

function problemsOf(reader: EnvReader): string[] {
  try {
    reader.done();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  return [];
}

describe('EnvReader', () => {
  it('records every variable name it is asked for, set or not', () => {
    const env = new EnvReader({ A: '1' });
    env.string('A', 'x');
    env.optional('B');
    env.int('C', 1, 0, 10);
    env.bool('D', false);
    env.port('E', 80);
    env.oneOf('F', ['a', 'b'] as const, 'a');
    env.url('G', ['http:']);
    env.required('H', 'because');
    expect([...env.names].sort()).toEqual(['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H']);
  });

  it('uses defaults for unset and blank values, and trims values', () => {
    const env = new EnvReader({ BLANK: '   ', SPACED: '  value  ' });
    expect(env.string('UNSET', 'fallback')).toBe('fallback');
    expect(env.string('BLANK', 'fallback')).toBe('fallback');
    expect(env.string('SPACED', 'fallback')).toBe('value');
    expect(env.optional('UNSET')).toBeUndefined();
    expect(env.int('UNSET', 7, 0, 10)).toBe(7);
    expect(env.bool('UNSET', true)).toBe(true);
    expect(env.oneOf('UNSET', ['a', 'b'] as const, 'b')).toBe('b');
    expect(env.url('UNSET', ['http:'])).toBeUndefined();
    expect(env.url('UNSET', ['http:'], 'http://localhost:1')).toBe('http://localhost:1');
    expect(env.problems).toEqual([]);
    expect(() => env.done()).not.toThrow();
  });

  it('reports a missing required variable by name and why', () => {
    const env = new EnvReader({});
    expect(env.required('DATABASE_URL', 'where data lives')).toBe('');
    expect(env.problems).toEqual(['DATABASE_URL is required: where data lives']);
  });

  it('parses integers within bounds', () => {
    const env = new EnvReader({ N: '42', NEG: '-3' });
    expect(env.int('N', 1, 0, 100)).toBe(42);
    expect(env.int('NEG', 0, -10, 10)).toBe(-3);
    expect(env.problems).toEqual([]);
  });

  it.each(['abc', '1.5', '1e3', '101', '-1', '0x10', '12abc'])('refuses int %p, naming the variable and the range', (value) => {
    const env = new EnvReader({ POOL: value });
    expect(env.int('POOL', 10, 0, 100)).toBe(10);
    expect(env.problems).toEqual([`POOL must be an integer from 0 to 100; got "${value}"`]);
  });

  it('validates ports as 0-65535', () => {
    const env = new EnvReader({ OK: '4000', BIG: '65536', NEG: '-1' });
    expect(env.port('OK', 1)).toBe(4000);
    expect(env.port('BIG', 1)).toBe(1);
    expect(env.port('NEG', 2)).toBe(2);
    expect(env.problems).toEqual(['BIG must be an integer from 0 to 65535; got "65536"', 'NEG must be an integer from 0 to 65535; got "-1"']);
  });

  it('parses booleans in several spellings', () => {
    const env = new EnvReader({ A: 'true', B: '1', C: 'YES', D: 'false', E: '0', F: 'No' });
    expect(['A', 'B', 'C', 'D', 'E', 'F'].map((n) => env.bool(n, false))).toEqual([true, true, true, false, false, false]);
    expect(env.problems).toEqual([]);
  });

  it('refuses other booleans by name', () => {
    const env = new EnvReader({ DEBUG: 'maybe' });
    expect(env.bool('DEBUG', true)).toBe(true);
    expect(env.problems).toEqual(['DEBUG must be true or false; got "maybe"']);
  });

  it('checks oneOf against the allowed values, case-sensitively', () => {
    const env = new EnvReader({ OK: 'redis', BAD: 'kafka', CASE: 'Redis' });
    expect(env.oneOf('OK', ['memory', 'redis'] as const, 'memory')).toBe('redis');
    expect(env.oneOf('BAD', ['memory', 'redis'] as const, 'memory')).toBe('memory');
    expect(env.oneOf('CASE', ['memory', 'redis'] as const, 'memory')).toBe('memory');
    expect(env.problems).toEqual(['BAD must be one of memory, redis; got "kafka"', 'CASE must be one of memory, redis; got "Redis"']);
  });

  it('checks URLs and their protocol', () => {
    const env = new EnvReader({ OK: 'redis://localhost:6379', TLS: 'rediss://h:1', HTTP: 'http://localhost', JUNK: 'not a url' });
    expect(env.url('OK', ['redis:', 'rediss:'])).toBe('redis://localhost:6379');
    expect(env.url('TLS', ['redis:', 'rediss:'])).toBe('rediss://h:1');
    expect(env.url('HTTP', ['redis:', 'rediss:'])).toBeUndefined();
    expect(env.url('JUNK', ['redis:'])).toBeUndefined();
    expect(env.problems).toEqual([
      'HTTP must be a redis:// or rediss:// URL; got "http://localhost"',
      'JUNK must be a redis:// URL; got "not a url"',
    ]);
  });

  it('done() throws one ConfigError listing every problem at once', () => {
    const env = new EnvReader({ PORT: 'abc', DEBUG: 'maybe' });
    env.port('PORT', 4000);
    env.bool('DEBUG', false);
    env.required('SECRET', 'signing');
    let thrown: unknown;
    try {
      env.done();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect(thrown).toBeInstanceOf(Error);
    const err = thrown as ConfigError;
    expect(err.problems).toHaveLength(3);
    expect(err.message).toBe(
      'invalid configuration:\n' +
        '  - PORT must be an integer from 0 to 65535; got "abc"\n' +
        '  - DEBUG must be true or false; got "maybe"\n' +
        '  - SECRET is required: signing',
    );
  });
});

describe('readCommonSubgraphConfig', () => {
  it('standalone: requires PRINCIPAL_SECRET', () => {
    const env = new EnvReader({});
    readCommonSubgraphConfig(env, { standalone: true });
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^PRINCIPAL_SECRET is required/);
  });

  it('standalone: refuses a PRINCIPAL_SECRET shorter than 32 characters', () => {
    const env = new EnvReader({ PRINCIPAL_SECRET: 'x'.repeat(31) });
    readCommonSubgraphConfig(env, { standalone: true });
    expect(problemsOf(env)).toEqual(['PRINCIPAL_SECRET must be at least 32 characters']);
  });

  it('standalone: accepts a 32-character secret and keeps the previous one for rotation', () => {
    const env = new EnvReader({ PRINCIPAL_SECRET: SECRET, PRINCIPAL_SECRET_PREVIOUS: 'y'.repeat(40) });
    const config = readCommonSubgraphConfig(env, { standalone: true });
    expect(problemsOf(env)).toEqual([]);
    expect(config.principalSecrets).toEqual([SECRET, 'y'.repeat(40)]);
  });

  it('embedded: a missing PRINCIPAL_SECRET is fine, a short one is not', () => {
    const missing = new EnvReader({});
    expect(readCommonSubgraphConfig(missing, { standalone: false }).principalSecrets).toEqual([]);
    expect(problemsOf(missing)).toEqual([]);
    const short = new EnvReader({ PRINCIPAL_SECRET: 'short' });
    readCommonSubgraphConfig(short, { standalone: false });
    expect(problemsOf(short)).toEqual(['PRINCIPAL_SECRET must be at least 32 characters']);
  });

  it('has defaults for everything else', () => {
    const env = new EnvReader({ PRINCIPAL_SECRET: SECRET });
    const config = readCommonSubgraphConfig(env, { standalone: true });
    expect(problemsOf(env)).toEqual([]);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config).toMatchObject({
      host: '0.0.0.0',
      nodeEnv: 'development',
      logLevel: 'info',
      dataDir: './data',
      dbPoolSize: 10,
      bus: 'memory',
      principalSecrets: [SECRET],
      outboxPollMs: 500,
    });
  });

  it('keeps published facts 7 days and processed fact ids a day longer by default', () => {
    const env = new EnvReader({ PRINCIPAL_SECRET: SECRET });
    const config = readCommonSubgraphConfig(env, { standalone: true });
    expect(config.outboxRetentionMs).toBe(168 * 3_600_000);
    expect(config.processedFactsRetentionMs).toBe(192 * 3_600_000);
    expect(config.busLossCheckMs).toBe(5_000);
  });

  it('the de-duplication window follows a longer outbox retention', () => {
    const env = new EnvReader({ PRINCIPAL_SECRET: SECRET, OUTBOX_RETENTION_HOURS: '720' });
    const config = readCommonSubgraphConfig(env, { standalone: true });
    expect(problemsOf(env)).toEqual([]);
    expect(config.processedFactsRetentionMs).toBe(744 * 3_600_000);
  });

  it('refuses a de-duplication window that does not cover the republish window and a day', () => {
    const env = new EnvReader({ PRINCIPAL_SECRET: SECRET, OUTBOX_RETENTION_HOURS: '168', PROCESSED_FACTS_RETENTION_HOURS: '170' });
    readCommonSubgraphConfig(env, { standalone: true });
    expect(problemsOf(env)).toEqual([
      'PROCESSED_FACTS_RETENTION_HOURS must be at least OUTBOX_RETENTION_HOURS + 24 (192): consumers must remember every fact the outbox may republish; got "170"',
    ]);
  });

  it('BUS=redis without REDIS_URL is a problem', () => {
    const env = new EnvReader({ PRINCIPAL_SECRET: SECRET, BUS: 'redis' });
    readCommonSubgraphConfig(env, { standalone: true });
    expect(problemsOf(env)).toEqual(['BUS=redis needs REDIS_URL']);
  });

  it('REDIS_URL set chooses the redis bus by default', () => {
    const env = new EnvReader({ PRINCIPAL_SECRET: SECRET, REDIS_URL: 'redis://cache:6379' });
    const config = readCommonSubgraphConfig(env, { standalone: true });
    expect(problemsOf(env)).toEqual([]);
    expect(config.bus).toBe('redis');
    expect(config.redisUrl).toBe('redis://cache:6379');
  });

  it('BUS=memory overrides the redis default', () => {
    const env = new EnvReader({ PRINCIPAL_SECRET: SECRET, REDIS_URL: 'redis://cache:6379', BUS: 'memory' });
    expect(readCommonSubgraphConfig(env, { standalone: true }).bus).toBe('memory');
    expect(problemsOf(env)).toEqual([]);
  });

  it('reports several problems together, each naming its variable', () => {
    const env = new EnvReader({
      BUS: 'kafka',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://db/x',
      DB_POOL_SIZE: '0',
      OUTBOX_POLL_MS: '5',
    });
    readCommonSubgraphConfig(env, { standalone: true });
    const problems = problemsOf(env);
    expect(problems).toHaveLength(6);
    for (const name of ['BUS', 'LOG_LEVEL', 'DATABASE_URL', 'DB_POOL_SIZE', 'OUTBOX_POLL_MS', 'PRINCIPAL_SECRET']) {
      expect(problems.filter((p) => p.startsWith(name))).toHaveLength(1);
    }
  });

  it('records the names the compose files must know about', () => {
    const env = new EnvReader({ PRINCIPAL_SECRET: SECRET });
    readCommonSubgraphConfig(env, { standalone: true });
    expect([...env.names]).toEqual(
      expect.arrayContaining([
        'BUS',
        'DATABASE_URL',
        'DATA_DIR',
        'DB_POOL_SIZE',
        'HOST',
        'LOG_LEVEL',
        'NODE_ENV',
        'OUTBOX_POLL_MS',
        'PRINCIPAL_SECRET',
        'PRINCIPAL_SECRET_PREVIOUS',
        'REDIS_URL',
      ]),
    );
  });
});

describe('readGatewayConfig: SUBGRAPH_TIMEOUT_MS', () => {
  it('defaults to 30 s and takes 100 ms to 10 minutes', () => {
    expect(readGatewayConfig(new EnvReader({ PRINCIPAL_SECRET: SECRET })).subgraphTimeoutMs).toBe(30_000);
    expect(readGatewayConfig(new EnvReader({ PRINCIPAL_SECRET: SECRET, SUBGRAPH_TIMEOUT_MS: '2500' })).subgraphTimeoutMs).toBe(2500);
  });

  it('refuses a value out of range or not a number, naming the variable and what it allows', () => {
    for (const bad of ['5', '600001', 'abc']) {
      const env = new EnvReader({ PRINCIPAL_SECRET: SECRET, SUBGRAPH_TIMEOUT_MS: bad });
      readGatewayConfig(env);
      expect(problemsOf(env)).toContain(`SUBGRAPH_TIMEOUT_MS must be an integer from 100 to 600000; got "${bad}"`);
    }
  });
});

