import { Initial1763596800000 } from './1763596800000-initial';
import { AttributionForex1763683200000 } from './1763683200000-attribution-forex';
import { PlanModels1763769600000 } from './1763769600000-plan-models';
import { Postbacks1763856000000 } from './1763856000000-postbacks';

export const migrations = [Initial1763596800000, AttributionForex1763683200000, PlanModels1763769600000, Postbacks1763856000000];
