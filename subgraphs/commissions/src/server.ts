import { RunningService, SharedInfra, SubgraphRuntime } from '../../shared/src';
import { CommissionsConfig } from './config';
import { Commission } from './entities/commission.entity';
import { CommissionsContext, createLoaders } from './loaders';
import { migrations } from './migrations';
import { buildCommissionsSchema } from './schema';

export const entities = [Commission];

export async function start(config: CommissionsConfig, shared: SharedInfra = {}): Promise<RunningService> {
  const runtime = await SubgraphRuntime.open('commissions', config, entities, migrations, shared);
  const schema = await buildCommissionsSchema();
  return runtime.serve<CommissionsContext>(schema, config.port, (principal) => ({
    principal,
    dataSource: runtime.dataSource,
    loaders: createLoaders(runtime.dataSource, principal),
    defaultCurrency: config.defaultCurrency,
  }));
}
