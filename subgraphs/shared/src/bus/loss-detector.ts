import { DataSource, EntityManager } from 'typeorm';
import { isPostgres } from '../data-source';
import type { Logger } from '../logger';
import type { ForgetfulBus, OutboxMark } from './bus';
import { busMetrics, type LossReason } from './metrics';
// A cycle with outbox.ts (which runs this detector): only functions are imported, used at call time.
import { sql, sqliteDate, transaction } from './outbox';

export interface LossDetectorOptions {
  /** Facts created within this window are republished when lost; older ones were pruned. */
  retentionMs: number;
  /** How often to ask the bus. */
  checkMs: number;
  log: Logger;
}

/**
 * Notices that Redis forgot published facts of one outbox and puts them back in line: marks
 * them unpublished, so the relay publishes them again, in commit order, before newer ones.
 * The outbox is the source of truth; consumers de-duplicate what was not lost after all.
 *
 * Signals: the outbox's mark (see `OutboxMark`) is gone or has another epoch (Redis restarted
 * without persistence, was flushed), or is behind a fact the outbox saw it accept (failover to
 * a lagging replica, an AOF that lost its last second); a stream of a published type is gone;
 * the server's run_id changed (a restart: checked at once). Consumers notice their own groups
 * vanishing (redis-streams-bus.ts).
 */
export class BusLossDetector {
  private runId: string | null = null;
  private nextCheckAt = 0;

  constructor(
    private readonly ds: DataSource,
    private readonly bus: ForgetfulBus,
    private readonly outbox: string,
    private readonly options: LossDetectorOptions,
  ) {}

  /** When due: returns how many facts were put back to be published again. */
  async check(): Promise<number> {
    if (Date.now() < this.nextCheckAt) return 0;
    const runId = await this.bus.serverRunId();
    const restarted = this.runId !== null && runId !== this.runId;
    if (restarted) {
      busMetrics.restarts().inc({ outbox: this.outbox });
      this.options.log.warn({ outbox: this.outbox, previousRunId: this.runId, runId }, 'Redis restarted (run_id changed): checking that it still holds every published fact');
    }
    let republished = await this.checkMark();
    if (restarted && !republished) republished = await this.checkStreams(await this.publishedTypes());
    // Only after a check that ran through: a failed one is tried again on the next relay run.
    this.runId = runId;
    this.nextCheckAt = Date.now() + this.options.checkMs;
    return republished;
  }

  /** Fact types this outbox published to the bus within the retention window. */
  async publishedTypes(): Promise<string[]> {
    const rows: { type: string }[] = await this.ds.query(
      sql(this.ds, 'SELECT DISTINCT type FROM outbox WHERE published_at IS NOT NULL AND bus_epoch IS NOT NULL AND created_at >= ?'),
      [this.cutoff()],
    );
    return rows.map((r) => r.type);
  }

  /** Republishes the facts of `types` whose stream is gone. */
  async checkStreams(types: string[]): Promise<number> {
    const missing = await this.bus.missingStreams(types);
    if (!missing.length) return 0;
    const where = `type IN (${missing.map(() => '?').join(',')}) AND published_at IS NOT NULL AND bus_epoch IS NOT NULL AND created_at >= ?`;
    const params = [...missing, this.cutoff()];
    const count = await transaction(this.ds, async (m) => {
      const n = await countWhere(m, where, params);
      if (n) await m.query(sql(m, `UPDATE outbox SET published_at = NULL WHERE ${where}`), params);
      return n;
    });
    if (count) this.report('stream_missing', count, { streams: missing });
    return count;
  }

  private async checkMark(): Promise<number> {
    const work = async (m: EntityManager): Promise<{ count: number; reason: LossReason; mark: OutboxMark | null }> => {
      const none = { count: 0, reason: 'mark_behind' as const, mark: null };
      const first = this.lost(await this.bus.outboxMark(this.outbox));
      // The common case: one indexed look finds nothing. On PostgreSQL it also takes the snapshot.
      const any: unknown[] = await m.query(sql(m, `SELECT 1 AS lost FROM outbox WHERE ${first.where} LIMIT 1`), first.params);
      if (!any.length) return none;
      // Read the mark again after the snapshot: every fact the snapshot shows published was accepted by the
      // bus before this read, so it is lost exactly when this mark does not reach it (not merely published
      // by another replica in between).
      const mark = await this.bus.outboxMark(this.outbox);
      const lost = this.lost(mark);
      const count = await countWhere(m, lost.where, lost.params);
      if (!count) return none;
      const otherEpoch = !mark || (await countWhere(m, `${lost.where} AND bus_epoch <> ?`, [...lost.params, mark.epoch])) > 0;
      await m.query(sql(m, `UPDATE outbox SET published_at = NULL WHERE ${lost.where}`), lost.params);
      return { count, reason: otherEpoch ? 'mark_missing' : 'mark_behind', mark };
    };
    // REPEATABLE READ: the update touches exactly the rows the snapshot judged (a row republished meanwhile by
    // another replica makes it fail and the check runs again next time).
    const result = isPostgres(this.ds) ? await this.ds.transaction('REPEATABLE READ', work) : await transaction(this.ds, work);
    if (result.count) this.report(result.reason, result.count, { mark: result.mark });
    return result.count;
  }

  /** Published facts in the window that the bus, holding `mark`, no longer holds. */
  private lost(mark: OutboxMark | null): { where: string; params: unknown[] } {
    const base = 'published_at IS NOT NULL AND bus_epoch IS NOT NULL AND created_at >= ?';
    if (!mark) return { where: base, params: [this.cutoff()] };
    // Written as ranges (not <>) so that both halves use the (bus_epoch, bus_position) index.
    return {
      where: `${base} AND (bus_epoch < ? OR bus_epoch > ? OR (bus_epoch = ? AND bus_position > ?))`,
      params: [this.cutoff(), mark.epoch, mark.epoch, mark.epoch, mark.position],
    };
  }

  private report(reason: LossReason, count: number, detail: Record<string, unknown>): void {
    busMetrics.lossDetected().inc({ reason });
    busMetrics.republished().inc({ outbox: this.outbox }, count);
    this.options.log.warn(
      { outbox: this.outbox, reason, facts: count, ...detail },
      `Redis lost ${count} published fact(s) of ${this.outbox} (${reason}); publishing them again from the outbox`,
    );
  }

  private cutoff(): Date | string {
    const d = new Date(Date.now() - this.options.retentionMs);
    return isPostgres(this.ds) ? d : sqliteDate(d);
  }
}

async function countWhere(m: EntityManager, where: string, params: unknown[]): Promise<number> {
  const [{ n }] = (await m.query(sql(m, `SELECT COUNT(*) AS n FROM outbox WHERE ${where}`), params)) as { n: string | number }[];
  return Number(n);
}
