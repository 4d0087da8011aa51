import { EventEmitter } from 'events';
import Redis from 'ioredis';
import { logger, type Logger } from '../logger';
import type { PubSub } from './bus';
import { quit, withTimeout } from './redis-streams-bus';

type MessageHandler = (message: unknown) => void;

const PING_TIMEOUT_MS = 2_000;

/**
 * In-process fan-out for the embedded mode. Messages go through JSON like on Redis, so a
 * message that would not survive a replica hop fails here too, and delivery is
 * asynchronous so a publisher never runs subscriber code on its own stack.
 */
export class MemoryPubSub implements PubSub {
  readonly kind = 'memory' as const;
  private readonly log: Logger;
  private readonly emitter = new EventEmitter();
  private closed = false;

  constructor() {
    this.log = logger('bus');
    // One listener per live subscription; hundreds on a channel are normal, not a leak.
    this.emitter.setMaxListeners(0);
  }

  async publish(channel: string, message: unknown): Promise<void> {
    if (this.closed) throw new Error('MemoryPubSub is closed');
    const json = JSON.stringify(message);
    setImmediate(() => this.emitter.emit(channel, JSON.parse(json)));
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    if (this.closed) throw new Error('MemoryPubSub is closed');
    const listener = (message: unknown): void => deliver(this.log, channel, handler, message);
    this.emitter.on(channel, listener);
    return async () => {
      this.emitter.off(channel, listener);
    };
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('MemoryPubSub is closed');
  }

  async close(): Promise<void> {
    this.closed = true;
    this.emitter.removeAllListeners();
  }
}

export interface RedisPubSubOptions {
  /** Redis channel of `channel` is `<channelPrefix><channel>`. Default `rgw:live:`. */
  channelPrefix?: string;
}

interface Subscription {
  handlers: Set<MessageHandler>;
  /** Settles when Redis has confirmed the SUBSCRIBE. */
  confirmed: Promise<void>;
}

/**
 * Fan-out across replicas with Redis PUBLISH/SUBSCRIBE. Local handlers of one channel
 * share a single Redis subscription. ioredis re-subscribes by itself after a reconnect;
 * messages published while disconnected are lost, which is acceptable for live updates.
 */
export class RedisPubSub implements PubSub {
  readonly kind = 'redis' as const;
  private readonly log: Logger;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly subscriptions = new Map<string, Subscription>();

  constructor(redisUrl: string, options: RedisPubSubOptions = {}) {
    this.log = logger('bus');
    this.prefix = options.channelPrefix ?? 'rgw:live:';
    this.publisher = this.connect(redisUrl, 'publisher');
    this.subscriber = this.connect(redisUrl, 'subscriber');
    this.subscriber.on('message', (redisChannel: string, raw: string) => this.dispatch(redisChannel, raw));
  }

  async publish(channel: string, message: unknown): Promise<void> {
    await this.publisher.publish(this.prefix + channel, JSON.stringify(message));
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    // Wrapped so that the same function subscribed twice counts as two subscriptions.
    const own: MessageHandler = (message) => handler(message);
    let subscription = this.subscriptions.get(channel);
    if (!subscription) {
      const redisChannel = this.prefix + channel;
      const created: Subscription = {
        handlers: new Set(),
        confirmed: this.subscriber.subscribe(redisChannel).then(
          () => undefined,
          (err: unknown) => {
            if (this.subscriptions.get(channel) === created) this.subscriptions.delete(channel);
            throw err;
          },
        ),
      };
      subscription = created;
      this.subscriptions.set(channel, subscription);
    }
    subscription.handlers.add(own);
    await subscription.confirmed;

    const current = subscription;
    let active = true;
    return async () => {
      if (!active) return;
      active = false;
      current.handlers.delete(own);
      if (current.handlers.size > 0 || this.subscriptions.get(channel) !== current) return;
      this.subscriptions.delete(channel);
      // Queued after any earlier SUBSCRIBE on the same connection, so order is preserved.
      await this.subscriber.unsubscribe(this.prefix + channel);
    };
  }

  async ping(): Promise<void> {
    await withTimeout(this.publisher.ping(), PING_TIMEOUT_MS, 'Redis PING timed out');
    // Right after start the subscriber may still be connecting: wait for it, within the timeout.
    if (this.subscriber.status !== 'ready') {
      const status = this.subscriber.status;
      let onReady: () => void = () => undefined;
      try {
        await withTimeout(new Promise<void>((resolve) => this.subscriber.once('ready', (onReady = resolve))), PING_TIMEOUT_MS, `Redis subscriber connection is ${status}`);
      } finally {
        this.subscriber.off('ready', onReady);
      }
    }
  }

  async close(): Promise<void> {
    this.subscriptions.clear();
    await Promise.all([quit(this.publisher), quit(this.subscriber)]);
  }

  private dispatch(redisChannel: string, raw: string): void {
    if (!redisChannel.startsWith(this.prefix)) return;
    const channel = redisChannel.slice(this.prefix.length);
    const subscription = this.subscriptions.get(channel);
    if (!subscription) return;
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch (err) {
      this.log.warn({ err, channel }, 'unreadable pubsub message dropped');
      return;
    }
    for (const handler of [...subscription.handlers]) deliver(this.log, channel, handler, message);
  }

  private connect(redisUrl: string, role: string): Redis {
    const connection = new Redis(redisUrl, { lazyConnect: false });
    // Without a listener ioredis prints every connection error to stderr; it reconnects on its own.
    connection.on('error', (err) => this.log.warn({ err, role }, 'redis connection error'));
    return connection;
  }
}

/** A throwing subscriber must not break delivery to the others. */
function deliver(log: Logger, channel: string, handler: MessageHandler, message: unknown): void {
  try {
    handler(message);
  } catch (err) {
    log.warn({ err, channel }, 'pubsub handler failed');
  }
}
