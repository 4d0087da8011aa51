import { Initial1763596800000 } from './1763596800000-initial';
import { KycApplications1763683200000 } from './1763683200000-kyc-applications';
import { CodeNamespace1765000200001 } from './1765000200001-code-namespace';
import { BusRecovery1765001600002 } from './1765001600002-bus-recovery';

export const migrations = [Initial1763596800000, KycApplications1763683200000, CodeNamespace1765000200001, BusRecovery1765001600002];
