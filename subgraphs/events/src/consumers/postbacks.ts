import { EntityManager } from 'typeorm';
import { consumeOnce, Fact, SubgraphRuntime } from '../../../shared/src';
import { PostbackDelivery } from '../entities/postback.entity';
import { EventData, enqueueEvent, PostbackWorker } from '../services/postbacks';
import { enqueueCommissionChange } from '../services/commission-postbacks';
import { enqueueCorrection } from '../services/correction-postbacks';

/**
 * Every committed event becomes a queued postback for each endpoint that wants it, once; every commission change
 * and every corrected event, for each endpoint that opted in to its type, once per fact.
 */
export function startPostbackConsumer(runtime: SubgraphRuntime, worker: PostbackWorker): void {
  consumePostbacks(runtime, worker, 'events.postbacks', 'event.recorded', (m, fact) => enqueueEvent(m, fact.tenantId, (fact.payload as { event: EventData }).event));
  consumePostbacks(runtime, worker, 'events.commission-postbacks', 'commission.changed', enqueueCommissionChange);
  consumePostbacks(runtime, worker, 'events.correction-postbacks', 'referral_event.corrected', enqueueCorrection);
}

/** One consumer group: queues a fact's first attempts once (inbox-keyed) and wakes the worker when it queued any. */
function consumePostbacks(
  runtime: SubgraphRuntime,
  worker: PostbackWorker,
  group: string,
  type: string,
  enqueue: (m: EntityManager, fact: Fact) => Promise<PostbackDelivery[]>,
): void {
  runtime.consume({
    group,
    types: [type],
    handler: async (fact: Fact) => {
      let queued = 0;
      await consumeOnce(runtime.dataSource, group, fact, async (m) => {
        queued = (await enqueue(m, fact)).length;
      });
      if (queued) worker.nudge();
    },
  });
}
