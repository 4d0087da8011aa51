import Redis from 'ioredis';
import { RedisPubSub } from '../../subgraphs/shared/src/bus/pubsub';
import { configureLogger } from '../../subgraphs/shared/src/logger';
import { describeWithRedis, redisUrl, uniquePrefix, waitUntil } from '../helpers/services';

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithRedis('RedisPubSub', () => {
  let replicaA: RedisPubSub;
  let replicaB: RedisPubSub;
  let admin: Redis;
  let channelPrefix: string;

  beforeAll(() => {
    configureLogger('silent');
    admin = new Redis(redisUrl);
  });

  afterAll(async () => {
    await admin.quit();
  });

  beforeEach(() => {
    // A fresh prefix per test: channels of one test never reach another's subscribers.
    channelPrefix = `${uniquePrefix('live')}:`;
    replicaA = new RedisPubSub(redisUrl, { channelPrefix });
    replicaB = new RedisPubSub(redisUrl, { channelPrefix });
  });

  afterEach(async () => {
    await Promise.all([replicaA.close(), replicaB.close()]);
  });

  it('answers ping', async () => {
    await expect(replicaA.ping()).resolves.toBeUndefined();
  });

  it('delivers a message published on one replica to subscribers on both', async () => {
    const onA: unknown[] = [];
    const onB: unknown[] = [];
    const onB2: unknown[] = [];
    const elsewhere: unknown[] = [];
    await replicaA.subscribe('conversions:t1', (m) => onA.push(m));
    await replicaB.subscribe('conversions:t1', (m) => onB.push(m));
    await replicaB.subscribe('conversions:t1', (m) => onB2.push(m));
    await replicaB.subscribe('conversions:t2', (m) => elsewhere.push(m));

    // No wait between subscribe and publish: subscribe resolves once Redis confirmed it.
    await replicaA.publish('conversions:t1', { id: 'c1', amount: '12.50' });
    await waitUntil('every subscriber has the message', () => onA.length === 1 && onB.length === 1 && onB2.length === 1);
    expect(onA).toEqual([{ id: 'c1', amount: '12.50' }]);
    expect(onB).toEqual(onA);
    expect(onB2).toEqual(onA);
    await settle(50);
    expect(elsewhere).toEqual([]);
    expect(onA).toHaveLength(1);
  });

  it('keeps the Redis subscription until the last local handler unsubscribes', async () => {
    const first: unknown[] = [];
    const second: unknown[] = [];
    const unsubscribeFirst = await replicaB.subscribe('c', (m) => first.push(m));
    const unsubscribeSecond = await replicaB.subscribe('c', (m) => second.push(m));

    await unsubscribeFirst();
    await replicaA.publish('c', 1);
    await waitUntil('the remaining handler has the message', () => second.length === 1);

    await unsubscribeSecond();
    await replicaA.publish('c', 2);
    await settle(100);
    expect(first).toEqual([]);
    expect(second).toEqual([1]);
    // The gateway would leak subscriptions otherwise: Redis must know nobody listens.
    const [, subscribers] = (await admin.pubsub('NUMSUB', `${channelPrefix}c`)) as [string, number];
    expect(subscribers).toBe(0);
  });

  it('subscribes again after everyone left a channel', async () => {
    const seen: unknown[] = [];
    const unsubscribe = await replicaB.subscribe('c', () => undefined);
    await unsubscribe();
    await replicaB.subscribe('c', (m) => seen.push(m));
    await replicaA.publish('c', 'back');
    await waitUntil('the new subscriber has the message', () => seen.length === 1);
    expect(seen).toEqual(['back']);
  });
});
