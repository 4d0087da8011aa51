import { Fact, SubgraphRuntime } from '../../../shared/src';
import { clock, CommissionsDeps } from '../services/deps';
import { RateChanged, settleFxPending } from '../services/fx-settlement';

export const FX_SETTLEMENT_GROUP = 'commissions.fx-settlement';

/**
 * A new rate (`fx_rate.changed`, from setFxRate) settles the FX_PENDING commissions of its pair that it covers,
 * exactly once: the inbox row and the settlement are one transaction, and each commission moves only from FX_PENDING.
 */
export function startFxSettlementConsumer(runtime: SubgraphRuntime, deps: CommissionsDeps): void {
  runtime.consume({
    group: FX_SETTLEMENT_GROUP,
    types: ['fx_rate.changed'],
    handler: (fact: Fact) =>
      runtime.outbox
        .consume(FX_SETTLEMENT_GROUP, fact, async (m, emit) => {
          const { rate } = fact.payload as { rate: RateChanged };
          if (!rate?.from || !rate?.to) return;
          await settleFxPending(m, emit, fact.tenantId, rate, deps.fx, clock(deps));
        })
        .then(() => undefined),
  });
}
