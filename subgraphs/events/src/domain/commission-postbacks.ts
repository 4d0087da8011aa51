/**
 * Postbacks of commission changes (referrer notifications): the `commission.changed` facts
 * of the commissions subgraph, delivered to endpoints that list these types in their
 * `eventTypes`. They are opt-in: `["*"]` means every event type, not these, so endpoints
 * made before them receive nothing new.
 */

export const COMMISSION_POSTBACK_TYPES = ['COMMISSION_CREATED', 'COMMISSION_APPROVED', 'COMMISSION_REVERSED', 'COMMISSION_ADJUSTED', 'COMMISSION_PAID'] as const;
export type CommissionPostbackType = (typeof COMMISSION_POSTBACK_TYPES)[number];

export const isCommissionPostbackType = (type: string): type is CommissionPostbackType => (COMMISSION_POSTBACK_TYPES as readonly string[]).includes(type);

/** The endpoint type of a fact's change (`created` -> COMMISSION_CREATED); null for a change there is no type for. */
export function commissionPostbackType(change: unknown): CommissionPostbackType | null {
  if (typeof change !== 'string') return null;
  const type = `COMMISSION_${change.trim().toUpperCase()}`;
  return isCommissionPostbackType(type) ? type : null;
}

/** The commission as a `commission.changed` fact carries it (fields may be added; the body keeps the documented ones). */
export interface CommissionData {
  id: string;
  partnerId: string;
  [field: string]: unknown;
}

/** What a postback needs of a `commission.changed` fact, or null when it is not one it can deliver. */
export function readCommissionChange(payload: unknown): { type: CommissionPostbackType; commission: CommissionData } | null {
  if (!payload || typeof payload !== 'object') return null;
  const { change, commission } = payload as { change?: unknown; commission?: unknown };
  const type = commissionPostbackType(change);
  if (!type || !commission || typeof commission !== 'object') return null;
  const c = commission as Partial<CommissionData>;
  if (typeof c.id !== 'string' || typeof c.partnerId !== 'string') return null;
  return { type, commission: c as CommissionData };
}

/**
 * The body of a commission postback, in the envelope of event postbacks (Standard Webhooks):
 * `{ id, type, timestamp, data }` with `type` `commission.<change>` (`commission.created`,
 * ...), `timestamp` when the change happened and `data` the commission as the change left it.
 */
export function commissionPostbackBody(messageId: string, type: CommissionPostbackType, occurredAt: string, c: CommissionData): string {
  const value = (key: string) => (c[key] === undefined ? null : c[key]);
  return JSON.stringify({
    id: messageId,
    type: `commission.${type.slice('COMMISSION_'.length).toLowerCase()}`,
    timestamp: occurredAt,
    data: {
      id: c.id,
      partnerId: c.partnerId,
      eventId: value('eventId'),
      traderId: value('traderId'),
      kind: value('kind'),
      tier: value('tier'),
      amount: value('amount'),
      currency: value('currency'),
      status: value('status'),
      holdUntil: value('holdUntil'),
      dueAt: value('dueAt'),
      planVersion: value('planVersion'),
    },
  });
}
