import DataLoader from 'dataloader';
import { CommissionStatus } from './entities/commission.entity';
import type { StatusSum } from './loaders';

/** FX_PENDING sums of one partner: held currency, settlement currency, minor units. */
export interface FxPendingSum {
  currency: string;
  settlementCurrency: string;
  minor: string;
}

/** Per request: the FX_PENDING part of the partner sums (no statement of its own). */
export function fxPendingLoader(sums: DataLoader<string, StatusSum[]>) {
  return new DataLoader<string, FxPendingSum[]>(async (partnerIds) => {
    const all = await sums.loadMany([...partnerIds]);
    return all.map((rows) =>
      rows instanceof Error ? rows : rows.filter((r) => r.status === CommissionStatus.FX_PENDING).map((r) => ({ currency: r.currency, settlementCurrency: r.settlementCurrency, minor: r.minor })),
    );
  });
}
