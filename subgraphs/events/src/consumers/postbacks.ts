import { consumeOnce, Fact, SubgraphRuntime } from '../../../shared/src';
import { EventData, enqueueEvent, PostbackWorker } from '../services/postbacks';
import { enqueueCommissionChange } from '../services/commission-postbacks';
import { enqueueCorrection } from '../services/correction-postbacks';

/** Every committed event becomes a queued postback for each endpoint that wants it, once. */
export function startPostbackConsumer(runtime: SubgraphRuntime, worker: PostbackWorker): void {
  runtime.consume({
    group: 'events.postbacks',
    types: ['event.recorded'],
    handler: async (fact: Fact) => {
      let queued = 0;
      await consumeOnce(runtime.dataSource, 'events.postbacks', fact, async (m) => {
        queued = (await enqueueEvent(m, fact.tenantId, (fact.payload as { event: EventData }).event)).length;
      });
      if (queued) worker.nudge();
    },
  });
  startCommissionPostbackConsumer(runtime, worker);
  startCorrectionPostbackConsumer(runtime, worker);
}

/** Every commission change becomes a queued postback for each endpoint that opted in to its type, once per fact. */
function startCommissionPostbackConsumer(runtime: SubgraphRuntime, worker: PostbackWorker): void {
  runtime.consume({
    group: 'events.commission-postbacks',
    types: ['commission.changed'],
    handler: async (fact: Fact) => {
      let queued = 0;
      await consumeOnce(runtime.dataSource, 'events.commission-postbacks', fact, async (m) => {
        queued = (await enqueueCommissionChange(m, fact)).length;
      });
      if (queued) worker.nudge();
    },
  });
}

/** Every corrected event becomes a queued postback for each endpoint that opted in to EVENT_CORRECTED, once per fact. */
function startCorrectionPostbackConsumer(runtime: SubgraphRuntime, worker: PostbackWorker): void {
  runtime.consume({
    group: 'events.correction-postbacks',
    types: ['referral_event.corrected'],
    handler: async (fact: Fact) => {
      let queued = 0;
      await consumeOnce(runtime.dataSource, 'events.correction-postbacks', fact, async (m) => {
        queued = (await enqueueCorrection(m, fact)).length;
      });
      if (queued) worker.nudge();
    },
  });
}
