import { randomUUID } from 'crypto';
import type { Fact } from '../../subgraphs/shared/src/bus/bus';
import { configureLogger } from '../../subgraphs/shared/src/logger';
import { MemoryBus } from '../../subgraphs/shared/src/bus/memory-bus';
import { MemoryPubSub } from '../../subgraphs/shared/src/bus/pubsub';
import { waitUntil } from '../helpers/services';

function fact(type: string, payload: unknown = {}): Fact {
  return { id: randomUUID(), type, tenantId: 't1', occurredAt: new Date().toISOString(), source: 'test', payload };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// These tests make handlers fail on purpose; their warnings would only bury real output.
beforeAll(() => configureLogger('silent'));

describe('MemoryBus', () => {
  let bus: MemoryBus;

  beforeEach(() => {
    bus = new MemoryBus();
  });

  afterEach(async () => {
    await bus.close();
  });

  it('never calls a handler inside publish', async () => {
    const seen: string[] = [];
    bus.consume({ group: 'g', types: ['a'], handler: async (f) => void seen.push(f.id) });
    const f = fact('a');
    const published = bus.publish(f);
    expect(seen).toEqual([]);
    await published;
    await waitUntil('the fact is delivered', () => seen.length === 1);
    expect(seen).toEqual([f.id]);
  });

  it('delivers every fact to every group', async () => {
    const one: string[] = [];
    const two: string[] = [];
    bus.consume({ group: 'one', types: ['a'], handler: async (f) => void one.push(f.id) });
    bus.consume({ group: 'two', types: ['a'], handler: async (f) => void two.push(f.id) });
    const facts = [fact('a'), fact('a'), fact('a')];
    for (const f of facts) await bus.publish(f);
    await waitUntil('both groups have every fact', () => one.length === 3 && two.length === 3);
    expect(one).toEqual(facts.map((f) => f.id));
    expect(two).toEqual(facts.map((f) => f.id));
  });

  it('only delivers the types a group asked for', async () => {
    const seen: string[] = [];
    bus.consume({ group: 'g', types: ['a'], handler: async (f) => void seen.push(f.type) });
    await bus.publish(fact('b'));
    await bus.publish(fact('a'));
    await waitUntil('the fact of type a is delivered', () => seen.length === 1);
    await settle(30);
    expect(seen).toEqual(['a']);
  });

  it('splits the facts of a group between its consumers, each fact once', async () => {
    const byA: string[] = [];
    const byB: string[] = [];
    bus.consume({ group: 'g', types: ['a'], handler: async (f) => void byA.push(f.id) });
    bus.consume({ group: 'g', types: ['a'], handler: async (f) => void byB.push(f.id) });
    const facts = Array.from({ length: 20 }, () => fact('a'));
    for (const f of facts) await bus.publish(f);
    await waitUntil('all facts are handled', () => byA.length + byB.length >= 20);
    await settle(30);
    const all = [...byA, ...byB];
    expect(all).toHaveLength(20);
    expect(new Set(all)).toEqual(new Set(facts.map((f) => f.id)));
    expect(byA.length).toBeGreaterThan(0);
    expect(byB.length).toBeGreaterThan(0);
  });

  it('delivers facts published before the group started', async () => {
    const early = fact('a');
    await bus.publish(early);
    const seen: string[] = [];
    bus.consume({ group: 'late', types: ['a'], handler: async (f) => void seen.push(f.id) });
    await waitUntil('the earlier fact is delivered', () => seen.length === 1);
    expect(seen).toEqual([early.id]);
  });

  it('keeps a group where it was when its consumer restarts', async () => {
    const first: string[] = [];
    const consumer = bus.consume({ group: 'g', types: ['a'], handler: async (f) => void first.push(f.id) });
    const before = fact('a');
    await bus.publish(before);
    await waitUntil('the first fact is delivered', () => first.length === 1);
    await consumer.stop();

    const after = fact('a');
    await bus.publish(after);
    const second: string[] = [];
    bus.consume({ group: 'g', types: ['a'], handler: async (f) => void second.push(f.id) });
    await waitUntil('the second fact is delivered', () => second.length === 1);
    await settle(30);
    expect(second).toEqual([after.id]);
  });

  it('redelivers a fact whose handler rejected, with backoff, until it succeeds', async () => {
    const attempts: number[] = [];
    let handled: string | undefined;
    bus.consume({
      group: 'g',
      types: ['a'],
      redeliverAfterMs: 1_000,
      handler: async (f) => {
        attempts.push(Date.now());
        if (attempts.length < 3) throw new Error('transient');
        handled = f.id;
      },
    });
    const f = fact('a');
    await bus.publish(f);
    await waitUntil('the fact is handled', () => handled !== undefined);
    expect(handled).toBe(f.id);
    expect(attempts).toHaveLength(3);
    // ~50 ms then ~100 ms: a retry loop without backoff would be far quicker.
    expect(attempts[2] - attempts[0]).toBeGreaterThanOrEqual(140);
    await settle(100);
    expect(attempts).toHaveLength(3);
  });

  it('does not hold later facts behind a failing one', async () => {
    const poison = fact('a');
    const handled: string[] = [];
    bus.consume({
      group: 'g',
      types: ['a'],
      handler: async (f) => {
        if (f.id === poison.id) throw new Error('poison');
        handled.push(f.id);
      },
    });
    const next = fact('a');
    await bus.publish(poison);
    await bus.publish(next);
    await waitUntil('the fact behind the failing one is handled', () => handled.length === 1);
    expect(handled).toEqual([next.id]);
  });

  it('handles the facts of a group one at a time, in publish order across types', async () => {
    const seen: string[] = [];
    let running = 0;
    let overlapped = false;
    bus.consume({
      group: 'g',
      types: ['a', 'b'],
      handler: async (f) => {
        running++;
        if (running > 1) overlapped = true;
        await settle(1);
        seen.push(f.id);
        running--;
      },
    });
    bus.consume({ group: 'g', types: ['a', 'b'], handler: async (f) => void seen.push(f.id) });
    const facts = Array.from({ length: 30 }, (_, i) => fact(i % 3 === 0 ? 'b' : 'a'));
    for (const f of facts) await bus.publish(f);
    await waitUntil('every fact is handled', () => seen.length === 30);
    expect(seen).toEqual(facts.map((f) => f.id));
    expect(overlapped).toBe(false);
  });

  it('stop() waits for the handler in flight and then delivers nothing more', async () => {
    const gate = deferred();
    const started: string[] = [];
    let finished = 0;
    const consumer = bus.consume({
      group: 'g',
      types: ['a'],
      handler: async (f) => {
        started.push(f.id);
        await gate.promise;
        finished++;
      },
    });
    await bus.publish(fact('a'));
    await waitUntil('the handler is running', () => started.length === 1);

    let stopped = false;
    const stopping = consumer.stop().then(() => (stopped = true));
    await settle(30);
    expect(stopped).toBe(false);
    gate.resolve();
    await stopping;
    expect(finished).toBe(1);

    await bus.publish(fact('a'));
    await settle(30);
    expect(started).toHaveLength(1);
  });

  it('rejects publish after close', async () => {
    await bus.close();
    await expect(bus.publish(fact('a'))).rejects.toThrow(/closed/);
    await expect(bus.ping()).rejects.toThrow(/closed/);
  });
});

describe('MemoryPubSub', () => {
  let pubsub: MemoryPubSub;

  beforeEach(() => {
    pubsub = new MemoryPubSub();
  });

  afterEach(async () => {
    await pubsub.close();
  });

  it('delivers asynchronously to every subscriber of the channel, as JSON', async () => {
    const one: unknown[] = [];
    const two: unknown[] = [];
    const other: unknown[] = [];
    await pubsub.subscribe('c', (m) => one.push(m));
    await pubsub.subscribe('c', (m) => two.push(m));
    await pubsub.subscribe('elsewhere', (m) => other.push(m));
    const at = new Date('2024-01-02T03:04:05.000Z');
    await pubsub.publish('c', { n: 1, at });
    expect(one).toEqual([]);
    await waitUntil('both subscribers have the message', () => one.length === 1 && two.length === 1);
    expect(one).toEqual([{ n: 1, at: at.toISOString() }]);
    expect(two).toEqual(one);
    expect(other).toEqual([]);
  });

  it('stops delivering after unsubscribe and isolates a throwing handler', async () => {
    const kept: unknown[] = [];
    const dropped: unknown[] = [];
    await pubsub.subscribe('c', () => {
      throw new Error('subscriber bug');
    });
    await pubsub.subscribe('c', (m) => kept.push(m));
    const unsubscribe = await pubsub.subscribe('c', (m) => dropped.push(m));
    await pubsub.publish('c', 1);
    await waitUntil('the first message arrives', () => kept.length === 1 && dropped.length === 1);

    await unsubscribe();
    await pubsub.publish('c', 2);
    await waitUntil('the second message arrives', () => kept.length === 2);
    await settle(20);
    expect(kept).toEqual([1, 2]);
    expect(dropped).toEqual([1]);
  });
});
