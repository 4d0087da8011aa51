import { RunningService, SharedInfra, SubgraphRuntime } from '../../shared/src';
import { LinksConfig } from './config';
import { Click } from './entities/click.entity';
import { LinkKey, LinkSettings } from './entities/link-settings.entity';
import { PartnerCode } from './entities/partner-code.entity';
import { Partner } from './entities/partner.entity';
import { ReferralLink } from './entities/referral-link.entity';
import { redirectRoutes } from './http/redirect';
import { createLoaders, LinksContext } from './loaders';
import { migrations } from './migrations';
import { buildLinksSchema } from './schema';
import { LinksDeps } from './services/deps';

export const entities = [Partner, PartnerCode, LinkSettings, LinkKey, ReferralLink, Click];

export async function start(config: LinksConfig, shared: SharedInfra = {}): Promise<RunningService> {
  const runtime = await SubgraphRuntime.open('links', config, entities, migrations, shared);
  const deps: LinksDeps = { outbox: runtime.outbox, config };
  const schema = await buildLinksSchema(deps);
  return runtime.serve<LinksContext>(
    schema,
    config.port,
    (principal) => ({ principal, dataSource: runtime.dataSource, loaders: createLoaders(runtime.dataSource, principal, deps), now: new Date() }),
    redirectRoutes(deps),
  );
}
