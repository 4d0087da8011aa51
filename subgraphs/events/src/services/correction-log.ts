import { EntityManager } from 'typeorm';
import { Fact, isPostgres, sql } from '../../../shared/src';
import { EventCorrectionRow } from '../entities/event-correction.entity';

/** What `referral_event.corrected` carries (services/forex.ts correctEvent). */
export interface CorrectionPayload {
  event: { id: string; cursor: string; partnerId: string | null; eventType: string; isConversion: boolean; timestamp: string } & Record<string, unknown>;
  previous: { eventType: string; isConversion: boolean; timestamp: string; amount?: string | null };
  reason: string | null;
}

/**
 * Positions are per tenant and follow the log's commit order, so a subscriber resuming after one never misses a
 * correction committed later with a smaller position: on PostgreSQL a transaction-scoped advisory lock per tenant
 * serialises the writers until they commit; SQLite transactions already take turns (as the commission change log).
 */
async function nextCorrectionPosition(m: EntityManager, tenantId: string): Promise<number> {
  if (isPostgres(m.connection)) await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`event_corrections:${tenantId}`]);
  const [row] = await m.query(sql(m, 'SELECT COALESCE(MAX(position), 0) AS p FROM event_corrections WHERE tenant_id = ?'), [tenantId]);
  return Number(row.p) + 1;
}

/** Logs a correction's fact in the transaction that emits it: the stream of corrections replays these rows. */
export async function logCorrection(m: EntityManager, fact: Fact<CorrectionPayload>): Promise<void> {
  const { event, previous } = fact.payload;
  await m.getRepository(EventCorrectionRow).insert({
    factId: fact.id,
    tenantId: fact.tenantId,
    position: String(await nextCorrectionPosition(m, fact.tenantId)),
    eventId: event.id,
    partnerId: event.partnerId,
    eventType: event.eventType,
    previousEventType: previous.eventType,
    isConversion: event.isConversion,
    previousIsConversion: previous.isConversion,
    correction: JSON.stringify(fact.payload),
    correctedAt: new Date(fact.occurredAt),
  });
}
