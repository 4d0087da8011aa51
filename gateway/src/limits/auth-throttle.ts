import type { IncomingMessage } from 'node:http';
import { Counter } from 'prom-client';
import { clientIp, logger } from '../../../subgraphs/shared/src';
import { BlockedAddresses, RateLimiter } from './rate-limiter';

/** Where a failed attempt happened (a label of the metrics). */
export type AuthEndpoint = 'graphql' | 'oauth_token' | 'partner_token' | 'websocket';

/**
 * Whose failures count, so that only the one who fails is throttled:
 * - `client_id`: wrong secrets for an OAuth client that exists (a guessed secret);
 * - `requester`: partner-token requests a valid credential was refused (403/404);
 * - `address`: credentials that do not exist (guessed keys, secrets of unknown client_ids,
 *   tokens we never issued), never a valid key's requests.
 */
export interface FailureSubject {
  per: 'client_id' | 'requester' | 'address';
  id: string;
}

export const authThrottleMetrics = {
  failures: new Counter({ name: 'gateway_auth_failures_total', help: 'Failed authentication attempts, by endpoint and whose count they go to', labelNames: ['endpoint', 'counted_per'] }),
  throttled: new Counter({ name: 'gateway_auth_throttled_total', help: 'Attempts refused (429, WebSocket 4429) for too many failed attempts, by endpoint and whose count was over', labelNames: ['endpoint', 'counted_per'] }),
};

/** An admit() guard that never refuses: a valid credential is never held back by others' failures. */
export const NO_GUARD = { key: 'authfail:none', limit: Number.MAX_SAFE_INTEGER } as const;

/**
 * Failed attempts per subject in the rate limiter's one-minute windows: once a subject has
 * `limit` failures in a minute it is refused until that minute ends. Counting goes through
 * the RateLimiter (Redis, shared by every replica, or this process), so whatever fallback the
 * limiter has applies here too.
 */
export class AuthThrottle {
  private readonly log = logger('gateway.auth-throttle');
  /** Subjects this replica knows are locked: refused without a round trip, logged once. */
  private readonly locked = new BlockedAddresses();

  constructor(
    private readonly limiter: RateLimiter,
    readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {}

  key(subject: FailureSubject): string {
    return `authfail:${subject.per}:${subject.id}`;
  }

  /** The admit() guard of a subject: refused once it has `limit` failures this minute. */
  guard(subject: FailureSubject): { key: string; limit: number } {
    return { key: this.key(subject), limit: this.limit };
  }

  /** Seconds the subject stays locked out (it reached `limit` failures this minute); 0 when not. Counts nothing. */
  async lockedFor(subject: FailureSubject, endpoint: AuthEndpoint): Promise<number> {
    const key = this.key(subject);
    const known = this.locked.retryAfter(key, this.now());
    if (known) return this.refused(subject, endpoint, known);
    // Cost 0 reads the count: allowed while it is at most limit - 1.
    const probe = await this.limiter.hit(key, 0, this.limit - 1);
    return probe.allowed ? 0 : this.lock(subject, endpoint, probe.retryAfter);
  }

  /** Counts one failed attempt; the seconds of lockout when it is over the limit (answer 429), else 0 (answer 401). */
  async failed(subject: FailureSubject, endpoint: AuthEndpoint): Promise<number> {
    authThrottleMetrics.failures.inc({ endpoint, counted_per: subject.per });
    const key = this.key(subject);
    const known = this.locked.retryAfter(key, this.now());
    if (known) return this.refused(subject, endpoint, known);
    const hit = await this.limiter.hit(key, 1, this.limit);
    return hit.allowed ? 0 : this.lock(subject, endpoint, hit.retryAfter);
  }

  /** Records a refusal the limiter decided elsewhere (an admit() guard); returns `retryAfter`. */
  lock(subject: FailureSubject, endpoint: AuthEndpoint, retryAfter: number): number {
    // Logged once per lockout per replica; the subject is an address, a client_id or a
    // credential id, never a secret.
    this.log.warn({ endpoint, countedPer: subject.per, subject: subject.id, limit: this.limit, retryAfter }, 'too many failed authentication attempts: refused until the minute ends');
    this.locked.block(this.key(subject), retryAfter, this.now());
    return this.refused(subject, endpoint, retryAfter);
  }

  private refused(subject: FailureSubject, endpoint: AuthEndpoint, retryAfter: number): number {
    authThrottleMetrics.throttled.inc({ endpoint, counted_per: subject.per });
    return retryAfter;
  }
}

/** The client's address as a subject: through TRUSTED_PROXIES, else the socket's. */
export function addressOf(req: IncomingMessage, trustedProxies: string[]): FailureSubject {
  return { per: 'address', id: clientIp(req.socket.remoteAddress, req.headers['x-forwarded-for'], trustedProxies) ?? 'unknown' };
}
