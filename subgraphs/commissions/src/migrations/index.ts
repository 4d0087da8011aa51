import { Initial1763596800000 } from './1763596800000-initial';
import { PlansEngine1763683200000 } from './1763683200000-plans-engine';
import { RefundApplications1764979200000 } from './1764979200000-refund-applications';
import { PlanVersionsHolds1765000100000 } from './1765000100000-plan-versions-holds';
import { CommissionChanges1765000400000 } from './1765000400000-commission-changes';
import { FxRates1765000600000 } from './1765000600000-fx-rates';
import { PendingKycBonuses1765000900000 } from './1765000900000-pending-kyc-bonuses';
import { BusRecovery1765001600000 } from './1765001600000-bus-recovery';

export const migrations = [Initial1763596800000, PlansEngine1763683200000, RefundApplications1764979200000, PlanVersionsHolds1765000100000, CommissionChanges1765000400000, FxRates1765000600000, PendingKycBonuses1765000900000, BusRecovery1765001600000];
