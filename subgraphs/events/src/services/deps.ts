import { Outbox } from '../../../shared/src';
import { EventsConfig } from '../config';

/** What the events resolvers need besides the request context. */
export interface EventsDeps {
  outbox: Outbox;
  config: EventsConfig;
}
