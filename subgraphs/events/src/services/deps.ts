import { Outbox } from '../../../shared/src';
import { EventsConfig } from '../config';
import type { PostbackWorker } from './postbacks';

/** What the events resolvers need besides the request context. */
export interface EventsDeps {
  outbox: Outbox;
  config: EventsConfig;
  postbacks: PostbackWorker;
}
