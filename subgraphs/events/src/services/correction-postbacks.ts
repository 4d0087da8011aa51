import { EntityManager } from 'typeorm';
import { Fact } from '../../../shared/src';
import { EVENT_CORRECTED } from '../domain/correction-postbacks';
import { PostbackDelivery } from '../entities/postback.entity';
import { EventData, enqueueFirstAttempts, postbackData } from './postbacks';

/** What the event was before the correction, as `referral_event.corrected` carries it. */
export interface CorrectionPrevious {
  eventType: string;
  isConversion: boolean;
  timestamp: string;
  /** The amount before an amount correction (null when the fact has none, as before amount corrections). */
  amount: string | null;
}

/** What a postback needs of a `referral_event.corrected` fact, or null when it is not one it can deliver. */
export function readCorrection(payload: unknown): { event: EventData; previous: CorrectionPrevious; reason: string | null } | null {
  if (!payload || typeof payload !== 'object') return null;
  const { event, previous, reason } = payload as { event?: Partial<EventData>; previous?: Partial<CorrectionPrevious>; reason?: unknown };
  if (!event || typeof event.id !== 'string' || typeof event.eventType !== 'string') return null;
  if (!previous || typeof previous.eventType !== 'string') return null;
  return {
    event: event as EventData,
    previous: { eventType: previous.eventType, isConversion: previous.isConversion === true, timestamp: String(previous.timestamp ?? ''), amount: typeof previous.amount === 'string' ? previous.amount : null },
    reason: typeof reason === 'string' ? reason : null,
  };
}

/**
 * The body of a correction postback, in the envelope of event postbacks (Standard Webhooks):
 * `{ id, type: "referral_event.corrected", timestamp, data }`, `timestamp` when the correction
 * happened, `data` the event as it now is (the same fields as an event postback) plus
 * `previous` (`eventType isConversion timestamp amount` before the correction) and `reason`.
 */
export function correctionPostbackBody(messageId: string, occurredAt: string, event: EventData, previous: CorrectionPrevious, reason: string | null): string {
  return JSON.stringify({
    id: messageId,
    type: 'referral_event.corrected',
    timestamp: occurredAt,
    data: { ...postbackData(event), previous: { eventType: previous.eventType, isConversion: previous.isConversion, timestamp: previous.timestamp, amount: previous.amount }, reason },
  });
}

/**
 * Queues the first attempt of a correction to every enabled endpoint that opted in to
 * EVENT_CORRECTED. The message id is keyed by the fact, so a redelivered fact queues nothing
 * twice, and each correction of the same event is its own message.
 */
export async function enqueueCorrection(m: EntityManager, fact: Fact): Promise<PostbackDelivery[]> {
  const read = readCorrection(fact.payload);
  if (!read) return [];
  return enqueueFirstAttempts(m, {
    tenantId: fact.tenantId,
    key: fact.id,
    eventId: read.event.id,
    eventType: EVENT_CORRECTED,
    body: (messageId) => correctionPostbackBody(messageId, fact.occurredAt, read.event, read.previous, read.reason),
  });
}
