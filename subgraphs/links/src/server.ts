import { RunningService, SharedInfra, signingKey, SubgraphRuntime } from '../../shared/src';
import { LinksConfig } from './config';
import { Click } from './entities/click.entity';
import { CodeCollision, CodeReservation } from './entities/code-reservation.entity';
import { LinkKey, LinkSettings } from './entities/link-settings.entity';
import { PartnerCode } from './entities/partner-code.entity';
import { Partner } from './entities/partner.entity';
import { ReferralLink } from './entities/referral-link.entity';
import { redirectRoutes } from './http/redirect';
import { codeReservationRoutes } from './internal/code-reservations';
import { createLoaders, LinksContext } from './loaders';
import { migrations } from './migrations';
import { buildLinksSchema } from './schema';
import { reportStoredCollisions } from './services/code-namespace';
import { LinksDeps } from './services/deps';

export const entities = [Partner, PartnerCode, LinkSettings, LinkKey, ReferralLink, Click, CodeReservation, CodeCollision];

export async function start(config: LinksConfig, shared: SharedInfra = {}): Promise<RunningService> {
  const runtime = await SubgraphRuntime.open('links', config, entities, migrations, shared);
  // The start-up check: codes a partner and a KYC code both held before they shared one namespace.
  await reportStoredCollisions(runtime.dataSource, 'links start-up check').catch(async (err) => {
    await runtime.close();
    throw err;
  });
  const deps: LinksDeps = { outbox: runtime.outbox, config };
  const schema = await buildLinksSchema(deps);
  const reservations = codeReservationRoutes({ dataSource: runtime.dataSource, signingKeys: config.principalSecrets.map(signingKey), replayGuard: runtime.replayGuard });
  const redirects = redirectRoutes(deps);
  return runtime.serve<LinksContext>(
    schema,
    config.port,
    (principal) => ({ principal, dataSource: runtime.dataSource, loaders: createLoaders(runtime.dataSource, principal, deps), now: new Date() }),
    (app) => {
      redirects(app);
      reservations(app);
    },
  );
}
