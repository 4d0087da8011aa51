import { RunningService, SharedInfra, SubgraphRuntime } from '../../shared/src';
import { EventsConfig } from './config';
import { startKycConsumer } from './consumers/kyc';
import { startReadModelConsumers } from './consumers/read-models';
import { startLivePublisher } from './live/publisher';
import { startPostbackConsumer } from './consumers/postbacks';
import { PostbackDelivery, PostbackEndpoint } from './entities/postback.entity';
import { PostbackWorker } from './services/postbacks';
import { ForexTransaction, TradingActivityDay } from './entities/forex.entity';
import { FxRateModel, PartnerPlanModel, PlanModel, RecentClick, TenantSettings } from './entities/read-models.entity';
import { PartnerRef, ReferralCodeOwner } from './entities/referral-code-owner.entity';
import { ReferralEvent } from './entities/referral-event.entity';
import { Trader } from './entities/trader.entity';
import { Product } from './entities/product.entity';
import { EventCorrectionRow } from './entities/event-correction.entity';
import { createLoaders, EventsContext } from './loaders';
import { migrations } from './migrations';
import { buildEventsSchema } from './schema';
import { EventsDeps } from './services/deps';
import { CodeWaiters } from './services/attribution-wait';
import { startPendingSweep } from './services/settle-attribution';
import { useFxRates } from './services/plan-conversion';

export const entities = [ReferralEvent, Trader, ReferralCodeOwner, PartnerRef, RecentClick, TenantSettings, ForexTransaction, TradingActivityDay, PlanModel, PartnerPlanModel, FxRateModel, PostbackEndpoint, PostbackDelivery, Product, EventCorrectionRow];

export async function start(config: EventsConfig, shared: SharedInfra = {}): Promise<RunningService> {
  const runtime = await SubgraphRuntime.open('events', config, entities, migrations, shared);
  // isConversion converts with FX_RATES after the rate table, as commissions does.
  useFxRates(runtime.dataSource, config.fxRates);
  const codeWaiters = new CodeWaiters(runtime.pubsub);
  await codeWaiters.start();
  runtime.onClose(() => codeWaiters.stop());
  startReadModelConsumers(runtime, codeWaiters);
  startPendingSweep(runtime.outbox, (ms, task) => runtime.every(ms, task), config.attributionPendingHours);
  startKycConsumer(runtime, config.clickIdSecrets);
  const postbacks = new PostbackWorker(runtime.dataSource, config);
  const deps: EventsDeps = { outbox: runtime.outbox, config, postbacks, attributionWait: { waiters: codeWaiters, waitMs: config.attributionWaitMs } };
  startPostbackConsumer(runtime, postbacks);
  postbacks.start();
  runtime.onClose(() => postbacks.stop());
  const schema = await buildEventsSchema(deps);
  startLivePublisher(runtime);
  const live = { pubsub: runtime.pubsub, bufferLimit: config.subscriberBuffer };
  return runtime.serve<EventsContext>(
    schema,
    config.port,
    (principal) => ({ principal, dataSource: runtime.dataSource, loaders: createLoaders(runtime.dataSource, principal), now: new Date(), live }),
    undefined,
    { subscriptions: true },
  );
}
