import { randomUUID } from 'crypto';
import Redis from 'ioredis';
import type { Fact } from '../../subgraphs/shared/src/bus/bus';
import { RedisStreamsBus, type RedisStreamsBusOptions } from '../../subgraphs/shared/src/bus/redis-streams-bus';
import { configureLogger } from '../../subgraphs/shared/src/logger';
import { describeWithRedis, redisUrl, uniquePrefix, waitUntil } from '../helpers/services';

function fact(type: string, payload: unknown = {}): Fact {
  return { id: randomUUID(), type, tenantId: 't1', occurredAt: new Date().toISOString(), source: 'test', payload };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithRedis('RedisStreamsBus', () => {
  const prefix = `${uniquePrefix('bus')}:`;
  let admin: Redis;
  let buses: RedisStreamsBus[] = [];
  let n = 0;
  /** Fresh type and group names per test, so no test sees another's facts. */
  let type: string;
  let group: string;

  function newBus(options: RedisStreamsBusOptions = {}): RedisStreamsBus {
    const bus = new RedisStreamsBus(redisUrl, { streamPrefix: prefix, ...options });
    buses.push(bus);
    return bus;
  }

  /** True once the consumer's connection is blocked in XREADGROUP, i.e. ready for new entries. */
  async function reading(consumerName: string): Promise<boolean> {
    const clients = (await admin.client('LIST')) as string;
    return clients
      .split('\n')
      .some((line) => line.includes(` name=${consumerName} `) && line.includes(' cmd=xreadgroup') && / flags=\S*b/.test(line));
  }

  async function pending(stream: string, groupName: string): Promise<number> {
    const [count] = (await admin.xpending(stream, groupName)) as [number];
    return count;
  }

  beforeAll(() => {
    // These tests make handlers fail on purpose; their warnings would only bury real output.
    configureLogger('silent');
    admin = new Redis(redisUrl);
  });

  beforeEach(() => {
    n++;
    type = `fact${n}.happened`;
    group = `test.group${n}`;
  });

  afterEach(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
    buses = [];
  });

  afterAll(async () => {
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  it('answers ping and stores one stream per type with the fact as JSON in field f', async () => {
    const bus = newBus();
    await bus.ping();
    const f = fact(type, { amount: '1.50' });
    await bus.publish(f);
    const entries = await admin.xrange(`${prefix}${type}`, '-', '+');
    expect(entries).toHaveLength(1);
    expect(entries[0][1]).toEqual(['f', JSON.stringify(f)]);
  });

  it('delivers every fact to every group', async () => {
    const bus = newBus();
    const one: string[] = [];
    const two: string[] = [];
    bus.consume({ group: `${group}.one`, types: [type], handler: async (f) => void one.push(f.id) });
    bus.consume({ group: `${group}.two`, types: [type], handler: async (f) => void two.push(f.id) });
    const facts = [fact(type), fact(type), fact(type)];
    for (const f of facts) await bus.publish(f);
    await waitUntil('both groups have every fact', () => one.length === 3 && two.length === 3);
    expect(one).toEqual(facts.map((f) => f.id));
    expect(two).toEqual(facts.map((f) => f.id));
  });

  it('splits the facts of a group between replicas, each fact once', async () => {
    const replicaA = newBus({ consumerName: `${prefix}a` });
    const replicaB = newBus({ consumerName: `${prefix}b` });
    const byA: string[] = [];
    const byB: string[] = [];
    replicaA.consume({ group, types: [type], batchSize: 2, handler: async (f) => void byA.push(f.id) });
    replicaB.consume({ group, types: [type], batchSize: 2, handler: async (f) => void byB.push(f.id) });
    // Both must be reading before the burst, or the first one could take it all.
    await waitUntil('both replicas are reading', async () => (await reading(`${prefix}a`)) && (await reading(`${prefix}b`)));
    const facts = Array.from({ length: 40 }, () => fact(type));
    await Promise.all(facts.map((f) => replicaA.publish(f)));
    await waitUntil('all facts are handled', () => byA.length + byB.length >= 40);
    await settle(200);
    const all = [...byA, ...byB];
    expect(all).toHaveLength(40);
    expect(new Set(all)).toEqual(new Set(facts.map((f) => f.id)));
    expect(byA.length).toBeGreaterThan(0);
    expect(byB.length).toBeGreaterThan(0);
  });

  it('delivers facts published before the group existed', async () => {
    const bus = newBus();
    const early = fact(type);
    await bus.publish(early);
    const seen: string[] = [];
    bus.consume({ group, types: [type], handler: async (f) => void seen.push(f.id) });
    await waitUntil('the earlier fact is delivered', () => seen.length === 1);
    expect(seen).toEqual([early.id]);
  });

  it('redelivers a fact whose handler rejected until it succeeds, then acknowledges it', async () => {
    const bus = newBus();
    let attempts = 0;
    let handled: string | undefined;
    bus.consume({
      group,
      types: [type],
      redeliverAfterMs: 300,
      handler: async (f) => {
        attempts++;
        if (attempts < 3) throw new Error('transient');
        handled = f.id;
      },
    });
    const f = fact(type);
    await bus.publish(f);
    await waitUntil('the fact is handled', () => handled !== undefined, 10_000);
    expect(handled).toBe(f.id);
    expect(attempts).toBe(3);
    await waitUntil('nothing is left pending', async () => (await pending(`${prefix}${type}`, group)) === 0);
  });

  it('handles the facts of one consumer one at a time, each type in publish order', async () => {
    const bus = newBus();
    const other = `${type}.other`;
    const seen: string[] = [];
    let running = 0;
    let overlapped = false;
    const facts = Array.from({ length: 30 }, (_, i) => fact(i % 3 === 0 ? other : type));
    for (const f of facts) await bus.publish(f);
    bus.consume({
      group,
      types: [type, other],
      handler: async (f) => {
        running++;
        if (running > 1) overlapped = true;
        await settle(1);
        seen.push(f.id);
        running--;
      },
    });
    await waitUntil('every fact is handled', () => seen.length === 30);
    // Across types the order is only as fine as the millisecond in the stream ids.
    const ofType = (t: string) => facts.filter((f) => f.type === t).map((f) => f.id);
    const seenOfType = (t: string) => seen.filter((id) => ofType(t).includes(id));
    expect(seenOfType(type)).toEqual(ofType(type));
    expect(seenOfType(other)).toEqual(ofType(other));
    expect(seen).toHaveLength(30);
    expect(overlapped).toBe(false);
  });

  it('stop() waits for the handler in flight and then delivers nothing more', async () => {
    const bus = newBus();
    const gate = deferred();
    const started: string[] = [];
    let finished = 0;
    const consumer = bus.consume({
      group,
      types: [type],
      handler: async (f) => {
        started.push(f.id);
        await gate.promise;
        finished++;
      },
    });
    await bus.publish(fact(type));
    await waitUntil('the handler is running', () => started.length === 1);

    let stopped = false;
    const stopping = consumer.stop().then(() => (stopped = true));
    await settle(50);
    expect(stopped).toBe(false);
    gate.resolve();
    await stopping;
    expect(finished).toBe(1);
    expect(await pending(`${prefix}${type}`, group)).toBe(0);

    await bus.publish(fact(type));
    await settle(100);
    expect(started).toHaveLength(1);
  });

  it('stops promptly while blocked in a read', async () => {
    const bus = newBus({ blockMs: 10_000, consumerName: `${prefix}blocked` });
    bus.consume({ group, types: [type], handler: async () => undefined });
    await waitUntil('the consumer is blocked in a read', () => reading(`${prefix}blocked`));
    const startedAt = Date.now();
    await bus.close();
    expect(Date.now() - startedAt).toBeLessThan(1_000);
  });

  it('hands the entry of a consumer that stopped responding to another consumer of the group', async () => {
    const stuck = newBus();
    const gate = deferred();
    const stuckGot: string[] = [];
    stuck.consume({
      group,
      types: [type],
      redeliverAfterMs: 300,
      handler: async (f) => {
        stuckGot.push(f.id);
        await gate.promise;
        throw new Error('too late');
      },
    });
    const f = fact(type);
    await stuck.publish(f);
    await waitUntil('the stuck consumer has the fact', () => stuckGot.length === 1);

    const healthy = newBus();
    const healthyGot: string[] = [];
    healthy.consume({ group, types: [type], redeliverAfterMs: 300, handler: async (g) => void healthyGot.push(g.id) });
    await waitUntil('the other consumer claims the fact', () => healthyGot.length === 1, 5_000);
    expect(healthyGot).toEqual([f.id]);
    await waitUntil('the claimed entry is acknowledged', async () => (await pending(`${prefix}${type}`, group)) === 0);

    gate.resolve();
    await stuck.close();
    await settle(400);
    expect(healthyGot).toEqual([f.id]);
  });

  it('acknowledges and skips pending entries that were trimmed away or are unreadable', async () => {
    const stream = `${prefix}${type}`;
    await admin.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
    const trimmed = fact(type);
    const survivor = fact(type);
    const trimmedId = (await admin.xadd(stream, '*', 'f', JSON.stringify(trimmed)))!;
    await admin.xadd(stream, '*', 'f', 'not json');
    await admin.xadd(stream, '*', 'f', JSON.stringify(survivor));
    // A consumer that read these and died before acknowledging any of them.
    await admin.xreadgroup('GROUP', group, 'ghost', 'COUNT', 10, 'STREAMS', stream, '>');
    await admin.xdel(stream, trimmedId);

    const bus = newBus();
    const seen: string[] = [];
    bus.consume({ group, types: [type], redeliverAfterMs: 300, handler: async (f) => void seen.push(f.id) });
    await waitUntil('the surviving entry is claimed and handled', () => seen.length === 1, 5_000);
    expect(seen).toEqual([survivor.id]);
    await waitUntil('nothing is left pending', async () => (await pending(stream, group)) === 0);

    const later = fact(type);
    await bus.publish(later);
    await waitUntil('the loop still delivers new facts', () => seen.length === 2);
    expect(seen).toEqual([survivor.id, later.id]);
  });

  it('recreates its group when the stream disappears under it', async () => {
    const bus = newBus();
    const seen: string[] = [];
    bus.consume({ group, types: [type], handler: async (f) => void seen.push(f.id) });
    await bus.publish(fact(type));
    await waitUntil('the first fact is handled', () => seen.length === 1);
    await admin.del(`${prefix}${type}`);
    const after = fact(type);
    await bus.publish(after);
    await waitUntil('a fact published after the stream was deleted is handled', () => seen.length === 2, 10_000);
    expect(seen[1]).toBe(after.id);
  });
});
