import { Outbox } from '../../../shared/src';
import { CommissionsConfig } from '../config';
import type { FxTable } from '../domain/compute';

export interface CommissionsDeps {
  outbox: Outbox;
  config: CommissionsConfig;
  fx: FxTable;
}
