import { RunningService, SharedInfra, SubgraphRuntime } from '../../shared/src';
import { LinksConfig } from './config';
import { Partner } from './entities/partner.entity';
import { createLoaders, LinksContext } from './loaders';
import { migrations } from './migrations';
import { buildLinksSchema } from './schema';

export const entities = [Partner];

export async function start(config: LinksConfig, shared: SharedInfra = {}): Promise<RunningService> {
  const runtime = await SubgraphRuntime.open('links', config, entities, migrations, shared);
  const schema = await buildLinksSchema(runtime.outbox);
  return runtime.serve<LinksContext>(schema, config.port, (principal) => ({
    principal,
    dataSource: runtime.dataSource,
    loaders: createLoaders(runtime.dataSource, principal),
  }));
}
