import { fromMinor } from '../../../shared/src';

export type CommissionStatus = 'PENDING' | 'APPROVED' | 'REVERSED' | 'PAID' | 'FX_PENDING';

export interface EarningsTotals {
  currency: string;
  pendingIncome: string;
  approvedIncome: string;
  paidIncome: string;
  /** Credited income: approved plus paid (FonProxy's totalIncome). */
  totalIncome: string;
  reversedIncome: string;
}

/** Sums per status (integer minor units, exact) to a partner's earnings in one currency. */
export function earningsFrom(sums: { status: string; minor: string | number }[], currency: string): EarningsTotals {
  const by = (status: CommissionStatus) => sums.filter((s) => s.status === status).reduce((acc, s) => acc + BigInt(s.minor), 0n);
  const pending = by('PENDING');
  const approved = by('APPROVED');
  const paid = by('PAID');
  const reversed = by('REVERSED');
  return {
    currency,
    pendingIncome: fromMinor(pending, currency),
    approvedIncome: fromMinor(approved, currency),
    paidIncome: fromMinor(paid, currency),
    totalIncome: fromMinor(approved + paid, currency),
    reversedIncome: fromMinor(reversed, currency),
  };
}
