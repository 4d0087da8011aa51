import { Initial1763596800000 } from './1763596800000-initial';
import { PlansEngine1763683200000 } from './1763683200000-plans-engine';

export const migrations = [Initial1763596800000, PlansEngine1763683200000];
