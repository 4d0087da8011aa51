import { consumeOnce, Fact, olderThanStored, SubgraphRuntime } from '../../../shared/src';
import { PartnerRef } from '../entities/kyc-application.entity';

/** Keeps the partner read model current: a code whose userId is a partner's externalId points at it. */
export function startPartnerConsumer(runtime: SubgraphRuntime): void {
  runtime.consume({
    group: 'kyc.partners',
    types: ['partner.changed'],
    handler: (fact: Fact) =>
      consumeOnce(runtime.dataSource, 'kyc.partners', fact, async (m) => {
        const { partner } = fact.payload as { partner: { id: string; externalId: string | null } };
        // An older fact (out of order, or published again) never overwrites a newer partner.
        if (await olderThanStored(m, PartnerRef, { partnerId: partner.id }, new Date(fact.occurredAt))) return;
        await m.getRepository(PartnerRef).upsert({ partnerId: partner.id, tenantId: fact.tenantId, externalId: partner.externalId, updatedAt: new Date(fact.occurredAt) }, ['partnerId']);
      }).then(() => undefined),
  });
}
