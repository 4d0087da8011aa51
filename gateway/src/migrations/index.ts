import { Initial1763596800000 } from './1763596800000-initial';

export const migrations = [Initial1763596800000];
