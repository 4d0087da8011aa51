import { Initial1763596800000 } from './1763596800000-initial';
import { PlansEngine1763683200000 } from './1763683200000-plans-engine';
import { RefundApplications1764979200000 } from './1764979200000-refund-applications';

export const migrations = [Initial1763596800000, PlansEngine1763683200000, RefundApplications1764979200000];
