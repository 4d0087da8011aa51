import { EntityManager, In, IsNull, Not } from 'typeorm';
import { Emit } from '../../../shared/src';
import { commissionId } from '../domain/commission-ids';
import { FxTable } from '../domain/compute';
import { Commission, CommissionKind, CommissionStatus } from '../entities/commission.entity';
import { RefundApplication } from '../entities/refund-application.entity';
import { commissionFact, creationChange, CORRECTION_KEY, eventCommissions, EventFacts, insertNew, managerReads, PARTNER_UNKNOWN, PartnerNotKnownYet, reverseOne, takenByRefunds } from './engine';

/** sourceKey of a CPA paid again by a correction: `cpa:<fact id>` (one set of rows per correction, ids derived from it). */
export const REPAID_CPA_KEY = 'cpa:';

/** The reason every CPA taken away by a correction carries (reversal or clawback), so a later correction can tell it. */
export const isCorrectionReason = (reason: string | null | undefined): boolean => !!reason && reason.startsWith('corrected');

/**
 * The CPA follows a corrected event (`referral_event.corrected`): one rule for a new label (a deposit that stops
 * being the first) and a new amount (a Track360 deposit re-sent approved for less or more). The event as it now is
 * goes through the same computation that paid it (eventCommissions: the plan version in force at its time, the
 * shared CPA rule with minAmount and conditions), and per CPA rule:
 * - stored and live, but no longer due: each tier is reversed (REVERSED when unpaid, a negative APPROVED clawback
 *   when PAID: paid rows are never changed), with `reason`;
 * - due, and none of its rows live, because a correction took it: paid again once, as new rows keyed by this
 *   correction (`cpa:<fact id>`), for the partner and the uplines as the plan computes them now. A CPA an operator
 *   or a refund reversed is not paid again.
 * The caller runs this once per fact (inbox row in the same transaction); the rows' ids and once-keys are derived
 * from the fact as well.
 */
export async function cpaFollowsCorrection(
  m: EntityManager,
  emit: Emit,
  input: { tenantId: string; factId: string; correctedAt: Date; event: EventFacts; reason: string; fx: FxTable; now: Date },
): Promise<void> {
  const { tenantId, event, reason, now } = input;
  const computed = await eventCommissions(managerReads(m, tenantId), tenantId, event, input.fx);
  if (computed === PARTNER_UNKNOWN) throw new PartnerNotKnownYet(`partner ${event.partnerId} is not in the commissions read model yet`);
  const due = computed.rows.filter((c) => c.kind === CommissionKind.CPA);
  const repo = m.getRepository(Commission);
  // The event's own CPA rows and the ones corrections paid again (never adjustments: those adjust one of these).
  const stored = await repo.find({ where: { tenantId, eventId: event.id, kind: CommissionKind.CPA, adjustsId: IsNull() }, order: { createdAt: 'ASC', id: 'ASC' } });
  const adjustments = stored.length ? await repo.find({ where: { adjustsId: In(stored.map((c) => c.id)), status: Not(CommissionStatus.REVERSED) } }) : [];
  const taken = await takenByRefunds(m, stored.map((c) => c.id));
  const isLive = (c: Commission) => c.status !== CommissionStatus.REVERSED && BigInt(c.amountMinor) - (taken.get(c.id) ?? 0n) > 0n;
  const dueRules = new Set(due.map((c) => c.ruleIndex));
  for (const c of stored.filter(isLive)) if (!dueRules.has(c.ruleIndex)) await reverseOne(m, emit, c, reason, event.id, now);

  const missing = [...dueRules].filter((rule) => {
    const rows = stored.filter((c) => c.ruleIndex === rule);
    if (rows.some(isLive)) return false;
    // Never paid (below minAmount when recorded) or last taken by a correction: due again. Otherwise an operator or a refund took it.
    const last = rows[rows.length - 1];
    return !last || takenByCorrection(last, adjustments);
  });
  if (!missing.length || (await refunded(m, tenantId, event.id))) return;
  const sourceKey = `${REPAID_CPA_KEY}${input.factId}`;
  const rows = due
    .filter((c) => missing.includes(c.ruleIndex))
    .map((c) => Object.assign(c, { id: commissionId(sourceKey, c.ruleIndex, c.tier, input.correctedAt), sourceKey, createdAt: now }));
  for (const c of await insertNew(m, rows)) emit('commission.changed', tenantId, commissionFact(c, creationChange(c)));
}

function takenByCorrection(c: Commission, adjustments: Commission[]): boolean {
  // A CPA voided at 0.00 (held for a rate, below minAmount once it came) was never paid: due again like one never made.
  if (c.status === CommissionStatus.REVERSED) return isCorrectionReason(c.reversalReason) || BigInt(c.amountMinor) === 0n;
  return adjustments.some((a) => a.adjustsId === c.id && BigInt(a.amountMinor) < 0n && isCorrectionReason(a.reversalReason));
}

/** Whether a refund or chargeback (not an amount correction) has applied to the payment. */
async function refunded(m: EntityManager, tenantId: string, paymentEventId: string): Promise<boolean> {
  const applications = await m.getRepository(RefundApplication).findBy({ tenantId, paymentEventId });
  return applications.some((a) => !a.refundEventId.startsWith(CORRECTION_KEY));
}
