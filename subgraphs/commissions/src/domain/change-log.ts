import { badInput, isCurrency, toMinor } from '../../../shared/src';

/**
 * The commission change log (referrer notifications): pure rules for what a
 * `commission.changed` fact becomes in the log, and the log's cursors.
 */

/** What happened to a commission; the `change` of a `commission.changed` fact, upper-cased. */
export enum CommissionChangeKind {
  CREATED = 'CREATED',
  APPROVED = 'APPROVED',
  REVERSED = 'REVERSED',
  ADJUSTED = 'ADJUSTED',
  PAID = 'PAID',
}

export const CHANGE_KINDS: readonly string[] = Object.values(CommissionChangeKind);

/** The commission as a `commission.changed` fact carries it (fields may be added: read defensively). */
export interface FactCommission {
  id: string;
  partnerId: string;
  eventId?: string | null;
  traderId?: string | null;
  kind?: string;
  tier?: number;
  amount?: string;
  currency?: string;
  status?: string;
  holdUntil?: string;
  dueAt?: string;
  planVersion?: number | null;
  [field: string]: unknown;
}

/** What the log needs of a fact's payload, or null when the payload is not a commission change. */
export function readChangeFact(payload: unknown): { change: string; commission: FactCommission } | null {
  if (!payload || typeof payload !== 'object') return null;
  const { change, commission } = payload as { change?: unknown; commission?: unknown };
  if (typeof change !== 'string' || !change.trim() || !commission || typeof commission !== 'object') return null;
  const c = commission as Partial<FactCommission>;
  if (typeof c.id !== 'string' || !c.id || typeof c.partnerId !== 'string' || !c.partnerId) return null;
  return { change: change.trim().toUpperCase(), commission: c as FactCommission };
}

/** The change kinds a stream or page shows: the ones asked for, of those the API knows (all known when none are asked). */
export function visibleKinds(asked: readonly string[] | null | undefined): string[] {
  return asked?.length ? CHANGE_KINDS.filter((k) => asked.includes(k)) : [...CHANGE_KINDS];
}

const isAdjustment = (c: Record<string, unknown>) =>
  !!c.adjustsId || (typeof c.sourceKey === 'string' && c.sourceKey.startsWith('adj:')) || String(c.amountMinor ?? '').startsWith('-');

/**
 * The commission as the change left it: the stored row (read when the change is logged,
 * which may be after later changes) with the fact's own values over it, and the lifecycle
 * times the fact's status had not reached yet cleared. So a CREATED change replayed after
 * the commission was paid still shows it PENDING, as it was when the referrer was told.
 */
export function asOfChange(row: Record<string, unknown> | null, c: FactCommission, fallback: { tenantId: string; occurredAt: Date }): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(row ?? {}) };
  out.tenantId ??= fallback.tenantId;
  out.occurredAt ??= fallback.occurredAt;
  out.createdAt ??= fallback.occurredAt;
  const take = (key: string, value: unknown) => {
    if (value !== undefined) out[key] = value;
  };
  take('id', c.id);
  take('partnerId', c.partnerId);
  take('eventId', c.eventId);
  take('traderId', c.traderId);
  take('kind', c.kind);
  take('tier', c.tier);
  take('status', c.status);
  take('holdUntil', c.holdUntil);
  take('planVersion', c.planVersion);
  if (typeof c.currency === 'string') out.currency = c.currency;
  if (typeof c.amount === 'string' && typeof out.currency === 'string' && isCurrency(out.currency)) out.amountMinor = toMinor(c.amount, out.currency);
  if (typeof c.dueAt === 'string' && !Number.isNaN(Date.parse(c.dueAt))) out.dueAtColumn = new Date(c.dueAt);
  const status = out.status;
  if (status !== 'APPROVED' && status !== 'PAID' && status !== 'REVERSED') out.approvedAt = null;
  if (status !== 'PAID') out.paidAt = null;
  if (status !== 'REVERSED') {
    out.reversedAt = null;
    // An adjustment carries its reason from birth; anything else gets one when reversed.
    if (!isAdjustment(out)) out.reversalReason = null;
  }
  return out;
}

/** JSON of a snapshot whose Dates come back as Dates (`{ "$date": ISO }`). */
export function snapshotText(snapshot: Record<string, unknown>): string {
  return JSON.stringify(snapshot, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = key === '' ? value : this[key];
    return raw instanceof Date ? { $date: raw.toISOString() } : value;
  });
}

export function parseSnapshot(text: string): Record<string, unknown> {
  return JSON.parse(text, (_key, value: unknown) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const keys = Object.keys(value);
      const d = (value as { $date?: unknown }).$date;
      if (keys.length === 1 && typeof d === 'string') return new Date(d);
    }
    return value;
  }) as Record<string, unknown>;
}

/** CommissionChange.cursor: the change's position in the tenant's log, opaque to clients. */
export function encodeChangeCursor(position: string | number): string {
  return Buffer.from(`ccp:${position}`).toString('base64url');
}

export function decodeChangeCursor(cursor: string, param = 'after'): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^ccp:(\d{1,15})$/.exec(text);
  if (!m) throw badInput(`${param} must be a CommissionChange.cursor (or pageInfo.endCursor of commissionChanges)`, param);
  return Number(m[1]);
}
