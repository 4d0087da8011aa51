import { Outbox } from '../../../shared/src';
import { EventsConfig } from '../config';
import type { PostbackWorker } from './postbacks';
import type { AttributionWait } from './attribution-wait';

/** What the events resolvers need besides the request context. */
export interface EventsDeps {
  outbox: Outbox;
  config: EventsConfig;
  postbacks: PostbackWorker;
  /** Waiting for referral codes not known yet (ATTRIBUTION_WAIT_MS). */
  attributionWait?: AttributionWait;
}
