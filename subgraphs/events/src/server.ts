import { RunningService, SharedInfra, SubgraphRuntime } from '../../shared/src';
import { EventsConfig } from './config';
import { startReadModelConsumers } from './consumers/read-models';
import { PartnerRef, ReferralCodeOwner } from './entities/referral-code-owner.entity';
import { ReferralEvent } from './entities/referral-event.entity';
import { Trader } from './entities/trader.entity';
import { createLoaders, EventsContext } from './loaders';
import { migrations } from './migrations';
import { buildEventsSchema } from './schema';

export const entities = [ReferralEvent, Trader, ReferralCodeOwner, PartnerRef];

export async function start(config: EventsConfig, shared: SharedInfra = {}): Promise<RunningService> {
  const runtime = await SubgraphRuntime.open('events', config, entities, migrations, shared);
  startReadModelConsumers(runtime);
  const schema = await buildEventsSchema(runtime.outbox);
  return runtime.serve<EventsContext>(schema, config.port, (principal) => ({
    principal,
    dataSource: runtime.dataSource,
    loaders: createLoaders(runtime.dataSource, principal),
  }));
}
