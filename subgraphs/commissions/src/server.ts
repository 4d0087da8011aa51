import { logger, RunningService, SharedInfra, SubgraphRuntime } from '../../shared/src';
import { CommissionsConfig } from './config';
import { startConsumers } from './consumers';
import { parseFxRates } from './domain/fx';
import { Commission } from './entities/commission.entity';
import { FxRate } from './entities/fx-rate.entity';
import { CommissionChangeRow } from './entities/commission-change.entity';
import { CommissionPlan, CommissionPlanVersion, PartnerPlan, PartnerRef } from './entities/plan.entity';
import { AppliedEvent, EngineMark, RefundApplication } from './entities/refund-application.entity';
import { PendingKycBonus } from './entities/pending-kyc-bonus.entity';
import { CommissionsContext, createLoaders } from './loaders';
import { migrations } from './migrations';
import { buildCommissionsSchema } from './schema';
import { clock, CommissionsDeps } from './services/deps';
import { approveDue } from './services/engine';

export const entities = [Commission, CommissionPlan, CommissionPlanVersion, PartnerPlan, PartnerRef, RefundApplication, AppliedEvent, EngineMark, CommissionChangeRow, FxRate, PendingKycBonus];

export async function start(config: CommissionsConfig, shared: SharedInfra = {}): Promise<RunningService> {
  const runtime = await SubgraphRuntime.open('commissions', config, entities, migrations, shared);
  const deps: CommissionsDeps = { outbox: runtime.outbox, config, fx: parseFxRates(config.fxRates), now: () => new Date() };
  startConsumers(runtime, deps);
  if (config.approvalIntervalMs > 0) {
    const log = logger('commissions.approvals');
    // Idempotent and lock-skipping: every replica may run it.
    runtime.every(config.approvalIntervalMs, async () => {
      const n = await runtime.outbox.transaction((m, emit) => {
        const now = clock(deps);
        return approveDue(m, emit, { asOf: now, now });
      });
      if (n) log.info({ approved: n }, 'approved commissions past their hold');
    });
  }
  const schema = await buildCommissionsSchema(deps);
  return runtime.serve<CommissionsContext>(schema, config.port, (principal) => ({
    principal,
    dataSource: runtime.dataSource,
    loaders: createLoaders(runtime.dataSource, principal),
    defaultCurrency: config.defaultCurrency,
    live: { pubsub: runtime.pubsub, bufferLimit: config.subscriberBuffer },
  }), undefined, { subscriptions: true });
}
