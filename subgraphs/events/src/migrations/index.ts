import { Initial1763596800000 } from './1763596800000-initial';
import { AttributionForex1763683200000 } from './1763683200000-attribution-forex';
import { PlanModels1763769600000 } from './1763769600000-plan-models';
import { Postbacks1763856000000 } from './1763856000000-postbacks';
import { PlanVersionsRefundOf1765000110000 } from './1765000110000-plan-versions-refund-of';
import { PendingAttribution1765000300000 } from './1765000300000-pending-attribution';
import { Products1765000500000 } from './1765000500000-products';
import { AmountUsd1765000600000 } from './1765000600000-amount-usd';
import { FxRateModels1765001000000 } from './1765001000000-fx-rate-models';
import { EventCorrections1765001100000 } from './1765001100000-event-corrections';
import { RequestHashVersion1765001300000 } from './1765001300000-request-hash-version';
import { ConversionAwaitsRate1765001500000 } from './1765001500000-conversion-awaits-rate';
import { BusRecovery1765001600001 } from './1765001600001-bus-recovery';
import { ReadModelFactTimes1765001600010 } from './1765001600010-read-model-fact-times';

export const migrations = [Initial1763596800000, AttributionForex1763683200000, PlanModels1763769600000, Postbacks1763856000000, PlanVersionsRefundOf1765000110000, PendingAttribution1765000300000, Products1765000500000, AmountUsd1765000600000, FxRateModels1765001000000, EventCorrections1765001100000, RequestHashVersion1765001300000, ConversionAwaitsRate1765001500000, BusRecovery1765001600001, ReadModelFactTimes1765001600010];
