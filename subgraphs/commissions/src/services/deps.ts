import { Outbox } from '../../../shared/src';
import { CommissionsConfig } from '../config';
import type { FxTable } from '../domain/compute';

export interface CommissionsDeps {
  outbox: Outbox;
  config: CommissionsConfig;
  fx: FxTable;
  /** The clock: approval times, refund and reversal times, "is asOf in the future". Tests inject their own. */
  now?: () => Date;
}

/** The current time by the deps' clock (the real one unless a test injected another). */
export function clock(deps: CommissionsDeps): Date {
  return deps.now ? deps.now() : new Date();
}
