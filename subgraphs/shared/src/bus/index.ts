import type { Bus, PubSub } from './bus';
import { MemoryBus } from './memory-bus';
import { MemoryPubSub, RedisPubSub } from './pubsub';
import { RedisStreamsBus } from './redis-streams-bus';

export * from './bus';
export * from './memory-bus';
export * from './pubsub';
// Not `export *`: that module also holds connection helpers internal to this folder.
export { RedisStreamsBus, type RedisStreamsBusOptions } from './redis-streams-bus';

/** Redis streams when `redisUrl` is set (several processes); in-process otherwise (embedded mode). */
export function createBus(opts: { redisUrl?: string; streamPrefix?: string }): Bus {
  return opts.redisUrl ? new RedisStreamsBus(opts.redisUrl, { streamPrefix: opts.streamPrefix }) : new MemoryBus();
}

/** Redis PUBLISH/SUBSCRIBE when `redisUrl` is set, so every replica sees every message; in-process otherwise. */
export function createPubSub(opts: { redisUrl?: string; channelPrefix?: string }): PubSub {
  return opts.redisUrl ? new RedisPubSub(opts.redisUrl, { channelPrefix: opts.channelPrefix }) : new MemoryPubSub();
}
