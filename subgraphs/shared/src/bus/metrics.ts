import { Counter, register } from 'prom-client';

/** One registry per process: the embedded launcher opens every subgraph in one, so reuse a metric already made. */
function counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
  return (register.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames: labelNames as L[] });
}

/** Why the bus is known to have lost facts; see README "When Redis forgets". */
export type LossReason = 'mark_missing' | 'mark_behind' | 'stream_missing' | 'group_missing';

export const busMetrics = {
  lossDetected: () =>
    counter('bus_data_loss_detected_total', 'Times the bus (Redis) was found to have lost facts or consumer groups, by reason', ['reason'] as const),
  republished: () => counter('bus_facts_republished_total', 'Facts published again from the outbox because the bus had lost them', ['outbox'] as const),
  restarts: () => counter('bus_redis_restarts_total', 'Redis server restarts noticed (INFO server run_id changed)', ['outbox'] as const),
  trimmed: () => counter('bus_stream_entries_trimmed_total', 'Stream entries trimmed after every consumer group acknowledged them'),
};
