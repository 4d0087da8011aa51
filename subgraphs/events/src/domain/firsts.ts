/**
 * Which deposit is a trader's first, and which day its first trade: decided by the date the
 * broker gives (Track360 `transaction_date`, the trading day), never by the order records
 * arrive in. A back-filled record dated earlier than the current first takes its place, and
 * the one it displaces is corrected. Ties keep the one that arrived first.
 */

/** The trader's current first deposit or first trade: the event and the date it carries. */
export interface CurrentFirst {
  eventId: string;
  occurredAt: Date;
}

export interface DepositPlacement {
  /** What an approved deposit dated `occurredAt` is. */
  label: 'FIRST_DEPOSIT' | 'RECURRING_DEPOSIT';
  /** The event that stops being the first deposit (it becomes a RECURRING_DEPOSIT), if any. */
  demote: string | null;
}

export function placeDeposit(current: CurrentFirst | null, occurredAt: Date): DepositPlacement {
  if (!current) return { label: 'FIRST_DEPOSIT', demote: null };
  if (occurredAt.getTime() < current.occurredAt.getTime()) return { label: 'FIRST_DEPOSIT', demote: current.eventId };
  return { label: 'RECURRING_DEPOSIT', demote: null };
}

export type TradePlacement =
  /** No first trade yet: record one on this day. */
  | { action: 'record' }
  /** An earlier day than the current first trade: move that event to this day. */
  | { action: 'move'; eventId: string }
  | { action: 'none' };

export function placeTradingDay(current: CurrentFirst | null, day: Date, lotsTraded: string): TradePlacement {
  // A day without lots traded is no trade (a re-send may zero a day; that moves nothing back).
  if (!/[1-9]/.test(lotsTraded)) return { action: 'none' };
  if (!current) return { action: 'record' };
  if (day.getTime() < current.occurredAt.getTime()) return { action: 'move', eventId: current.eventId };
  return { action: 'none' };
}

/**
 * Track360's `amount_currency` carries no sign rule: the transaction type gives the direction.
 * Deposits, withdrawals, bonuses and IB rebates are amounts of money moved, so a negative one is
 * taken as its absolute value; an `adjustment` (and `other`) keeps its sign, since a correction
 * can go either way.
 */
export function directedAmount(transactionType: string, amount: string): string {
  if (transactionType === 'adjustment' || transactionType === 'other') return amount;
  return amount.startsWith('-') ? amount.slice(1) : amount;
}
