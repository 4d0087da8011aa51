import { Outbox } from '../../../shared/src';
import { LinksConfig } from '../config';

/** What the links resolvers and routes need besides the request context. */
export interface LinksDeps {
  outbox: Outbox;
  config: LinksConfig;
}
