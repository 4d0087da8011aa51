import { Initial1763596800000 } from './1763596800000-initial';
import { OAuthClients1763856000000 } from './1763856000000-oauth-clients';

export const migrations = [Initial1763596800000, OAuthClients1763856000000];
