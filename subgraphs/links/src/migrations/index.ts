import { Initial1763596800000 } from './1763596800000-initial';
import { LinksClicksSettings1763683200000 } from './1763683200000-links-clicks-settings';
import { CodeNamespace1765000200000 } from './1765000200000-code-namespace';
import { PartnersRecordClicks1765001300000 } from './1765001300000-partners-record-clicks';
import { BusRecovery1765001600003 } from './1765001600003-bus-recovery';

export const migrations = [Initial1763596800000, LinksClicksSettings1763683200000, CodeNamespace1765000200000, PartnersRecordClicks1765001300000, BusRecovery1765001600003];
