import { EntityManager } from 'typeorm';
import { Fact } from '../../../shared/src';
import { commissionPostbackBody, readCommissionChange } from '../domain/commission-postbacks';
import { PostbackDelivery } from '../entities/postback.entity';
import { enqueueFirstAttempts } from './postbacks';

/**
 * Queues the first attempt of a commission change to every enabled endpoint that opted in
 * to its type (COMMISSION_CREATED, ...; `["*"]` does not include them). The message id is
 * keyed by the fact, so a redelivered fact queues nothing twice (unique message + attempt).
 */
export async function enqueueCommissionChange(m: EntityManager, fact: Fact): Promise<PostbackDelivery[]> {
  const read = readCommissionChange(fact.payload);
  if (!read) return [];
  return enqueueFirstAttempts(m, {
    tenantId: fact.tenantId,
    key: fact.id,
    eventId: typeof read.commission.eventId === 'string' ? read.commission.eventId : null,
    eventType: read.type,
    body: (messageId) => commissionPostbackBody(messageId, read.type, fact.occurredAt, read.commission),
  });
}
