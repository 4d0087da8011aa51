import { Degradation } from '../../../subgraphs/shared/src/degraded';
import { Admission, Budget, Hit, MemoryRateLimiter, RateLimiter } from './rate-limiter';

/**
 * The replicas' shared limits (Redis), counted by this process alone while Redis is
 * unavailable: requests keep being answered, each replica allowing up to the limits on its
 * own (a warning and the `rgw_degraded` metrics say so). Counting goes back to Redis as soon
 * as it answers; what was counted locally in the meantime is not carried over.
 */
export class FallbackRateLimiter implements RateLimiter {
  private readonly local = new MemoryRateLimiter();
  private readonly degradation: Degradation;

  constructor(private readonly shared: RateLimiter) {
    this.degradation = new Degradation('gateway', 'redis', 'rate_limits', 'rate limits are counted per gateway process');
  }

  hit(key: string, cost: number, limit: number): Promise<Hit> {
    return this.either((l) => l.hit(key, cost, limit));
  }

  admit(guardKey: string, guardLimit: number, budgets: Budget[]): Promise<Admission> {
    return this.either((l) => l.admit(guardKey, guardLimit, budgets));
  }

  private async either<T>(call: (limiter: RateLimiter) => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await call(this.shared);
    } catch (err) {
      this.degradation.fellBack(err);
      return call(this.local);
    }
    this.degradation.recovered();
    return result;
  }
}
