import { Counter, Gauge, register } from 'prom-client';
import { logger } from './logger';

/**
 * Features that keep working on a per-process fallback while a shared dependency (Redis) is
 * away. Each fallback is visible: a warning when it starts (and when it ends), a gauge that
 * is 1 while it lasts and a counter of the operations it served.
 *
 *   rgw_degraded{dependency="redis",feature="rate_limits"} 1
 *   rgw_degraded_operations_total{dependency="redis",feature="rate_limits"} 42
 */
function metric<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

const active = () => metric('rgw_degraded', () => new Gauge({ name: 'rgw_degraded', help: 'Features running on a per-process fallback because a shared dependency is unavailable (1 while degraded)', labelNames: ['dependency', 'feature'] }));
const served = () =>
  metric('rgw_degraded_operations_total', () => new Counter({ name: 'rgw_degraded_operations_total', help: 'Operations served by a per-process fallback because a shared dependency was unavailable', labelNames: ['dependency', 'feature'] }));

export class Degradation {
  private degraded = false;
  private readonly labels: { dependency: string; feature: string };

  constructor(
    private readonly service: string,
    dependency: string,
    feature: string,
    /** What the fallback means for operators, in the warning. */
    private readonly consequence: string,
  ) {
    this.labels = { dependency, feature };
    active().set(this.labels, 0);
    served().inc(this.labels, 0);
  }

  get isDegraded(): boolean {
    return this.degraded;
  }

  /** One operation served by the fallback because `err` came from the dependency. */
  fellBack(err: unknown): void {
    served().inc(this.labels);
    if (this.degraded) return;
    this.degraded = true;
    active().set(this.labels, 1);
    logger(this.service).warn({ ...this.labels, err: (err as Error)?.message ?? String(err) }, `${this.labels.dependency} is unavailable: ${this.consequence}`);
  }

  /** The dependency answered again. */
  recovered(): void {
    if (!this.degraded) return;
    this.degraded = false;
    active().set(this.labels, 0);
    logger(this.service).info(this.labels, `${this.labels.dependency} is back: ${this.labels.feature} are shared again`);
  }
}

/**
 * ioredis options for a connection whose commands have a per-process fallback: a command
 * fails at once while disconnected (no offline queue) and after `commandTimeout` when Redis
 * stops answering, so a Redis outage costs a request milliseconds, not a hang.
 */
export const FAIL_FAST_REDIS = { enableOfflineQueue: false, commandTimeout: 1000, maxRetriesPerRequest: 0, connectTimeout: 2000 } as const;
