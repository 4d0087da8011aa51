import { CommissionStatus } from './entities/commission.entity';
import type { StatusSum } from './loaders';

/** FX_PENDING sums of one partner: held currency, settlement currency, minor units. */
export interface FxPendingSum {
  currency: string;
  settlementCurrency: string;
  minor: string;
}

/** The FX_PENDING part of a partner's sums (loaders.sums: no statement of its own). */
export function fxPendingOf(sums: readonly StatusSum[]): FxPendingSum[] {
  return sums.filter((r) => r.status === CommissionStatus.FX_PENDING).map((r) => ({ currency: r.currency, settlementCurrency: r.settlementCurrency, minor: r.minor }));
}
