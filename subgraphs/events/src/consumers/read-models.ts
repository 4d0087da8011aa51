import { consumeOnce, Fact, SubgraphRuntime } from '../../../shared/src';
import { PartnerRef, ReferralCodeOwner } from '../entities/referral-code-owner.entity';

interface ReferralCodeChanged {
  source: 'links' | 'kyc';
  code: string;
  /** Previous code of the same owner, when a code was renamed. */
  previousCode?: string | null;
  partnerId?: string | null;
  ownerUserId?: string | null;
  active: boolean;
}

interface PartnerChanged {
  partner: { id: string; externalId: string | null };
}

/** Keeps the events subgraph's read models of codes and partners current from the bus. */
export function startReadModelConsumers(runtime: SubgraphRuntime): void {
  const ds = runtime.dataSource;
  runtime.consume({
    group: 'events.referral-codes',
    types: ['referral_code.changed'],
    handler: (fact: Fact) =>
      consumeOnce(ds, 'events.referral-codes', fact, async (m) => {
        const p = fact.payload as ReferralCodeChanged;
        await m.getRepository(ReferralCodeOwner).upsert(
          {
            tenantId: fact.tenantId,
            source: p.source,
            codeKey: p.code.toLowerCase(),
            code: p.code,
            partnerId: p.partnerId ?? null,
            ownerUserId: p.ownerUserId ?? null,
            active: p.active,
            updatedAt: new Date(fact.occurredAt),
          },
          ['tenantId', 'source', 'codeKey'],
        );
      }).then(() => undefined),
  });
  runtime.consume({
    group: 'events.partners',
    types: ['partner.changed'],
    handler: (fact: Fact) =>
      consumeOnce(ds, 'events.partners', fact, async (m) => {
        const p = fact.payload as PartnerChanged;
        await m
          .getRepository(PartnerRef)
          .upsert({ partnerId: p.partner.id, tenantId: fact.tenantId, externalId: p.partner.externalId, updatedAt: new Date(fact.occurredAt) }, ['partnerId']);
      }).then(() => undefined),
  });
}
