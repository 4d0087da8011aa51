import { Fact, SubgraphRuntime } from '../../../shared/src';
import { liveChannel, LiveMessage } from './stream';

/**
 * Fans committed events out to live subscribers on every replica: `event.recorded` comes
 * from the outbox (so only committed events), and goes to the pub/sub channel of its
 * tenant. One consumer group: each fact is published once (subscribers drop repeats).
 */
export function startLivePublisher(runtime: SubgraphRuntime): void {
  runtime.consume({
    group: 'events.live',
    types: ['event.recorded'],
    handler: async (fact: Fact) => {
      const { event } = fact.payload as { event: LiveMessage['event'] & { cursor: string } };
      const message: LiveMessage = { position: Number(event.cursor), event };
      await runtime.pubsub.publish(liveChannel(fact.tenantId), message);
    },
  });
}
