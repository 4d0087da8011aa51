import { Fact, SubgraphRuntime } from '../../../shared/src';
import { EventCorrectionRow } from '../entities/event-correction.entity';
import { correctionChannel, liveCorrectionOf } from './correction-stream';
import { liveChannel, LiveMessage } from './stream';

/**
 * Fans committed events out to live subscribers on every replica: `event.recorded` comes
 * from the outbox (so only committed events), and goes to the pub/sub channel of its
 * tenant. One consumer group: each fact is published once (subscribers drop repeats).
 * `referral_event.corrected` likewise, with the position its row took in the log of
 * corrections (written with the fact), for conversionCorrected; a redelivered fact
 * publishes the same row again, which subscribers drop.
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
  runtime.consume({
    group: 'events.live-corrections',
    types: ['referral_event.corrected'],
    handler: async (fact: Fact) => {
      // Facts published before the log existed have no row: nothing to tell a subscriber with a cursor.
      const row = await runtime.dataSource.getRepository(EventCorrectionRow).findOneBy({ factId: fact.id });
      if (row) await runtime.pubsub.publish(correctionChannel(fact.tenantId), liveCorrectionOf(row));
    },
  });
}
