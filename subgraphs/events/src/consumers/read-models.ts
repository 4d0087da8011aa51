import { consumeOnce, dateParam, Fact, SubgraphRuntime } from '../../../shared/src';
import { IsNull } from 'typeorm';
import { AttributionMethod } from '../domain/event-types';
import { PartnerPlanModel, PlanModel, RecentClick, TenantSettings } from '../entities/read-models.entity';
import { Trader } from '../entities/trader.entity';
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

interface ClickRecorded {
  click: { id: string; linkId: string; partnerId: string; fingerprint: string | null; createdAt: string };
}

interface LinkSettingsChanged {
  settings: { attributionWindowHours: number };
}

/** Clicks older than the longest attribution window (720 h) can no longer attribute. */
const RECENT_CLICK_RETENTION_MS = 31 * 86_400_000;

/** Keeps the events subgraph's read models (codes, partners, recent clicks, link settings) current from the bus. */
export function startReadModelConsumers(runtime: SubgraphRuntime): void {
  const ds = runtime.dataSource;
  let lastPrune = 0;
  runtime.consume({
    group: 'events.recent-clicks',
    types: ['click.recorded'],
    handler: (fact: Fact) =>
      consumeOnce(ds, 'events.recent-clicks', fact, async (m) => {
        const { click } = fact.payload as ClickRecorded;
        if (!click.fingerprint) return;
        await m.getRepository(RecentClick).upsert(
          { clickId: click.id, tenantId: fact.tenantId, linkId: click.linkId, partnerId: click.partnerId, fingerprint: click.fingerprint, createdAt: new Date(click.createdAt) },
          ['clickId'],
        );
        if (Date.now() - lastPrune > 3600_000) {
          lastPrune = Date.now();
          await m
            .createQueryBuilder()
            .delete()
            .from(RecentClick)
            .where('created_at < :cutoff', { cutoff: dateParam(ds, new Date(Date.now() - RECENT_CLICK_RETENTION_MS)) })
            .execute();
        }
      }).then(() => undefined),
  });
  runtime.consume({
    group: 'events.plans',
    types: ['commission_plan.changed', 'commission_plan.assigned'],
    handler: (fact: Fact) =>
      consumeOnce(ds, 'events.plans', fact, async (m) => {
        if (fact.type === 'commission_plan.assigned') {
          const { partnerId, planId } = fact.payload as { partnerId: string; planId: string };
          await m.getRepository(PartnerPlanModel).upsert({ partnerId, tenantId: fact.tenantId, planId }, ['partnerId']);
          return;
        }
        const { plan } = fact.payload as { plan: { id: string; isDefault: boolean; productId: string | null; cpaEventTypes: string[] } };
        await m
          .getRepository(PlanModel)
          .upsert({ planId: plan.id, tenantId: fact.tenantId, isDefault: plan.isDefault, productId: plan.productId, cpaEventTypes: plan.cpaEventTypes }, ['planId']);
      }).then(() => undefined),
  });
  runtime.consume({
    group: 'events.link-settings',
    types: ['link_settings.changed'],
    handler: (fact: Fact) =>
      consumeOnce(ds, 'events.link-settings', fact, async (m) => {
        const { settings } = fact.payload as LinkSettingsChanged;
        const repo = m.getRepository(TenantSettings);
        const row = (await repo.findOneBy({ tenantId: fact.tenantId })) ?? repo.create({ tenantId: fact.tenantId, conversionEventTypes: null });
        row.attributionWindowHours = settings.attributionWindowHours;
        row.updatedAt = new Date();
        await repo.save(row);
      }).then(() => undefined),
  });
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
        // Forex customers may name an affiliate before its partner exists here: attach them now.
        if (p.partner.externalId) {
          await m
            .getRepository(Trader)
            .update(
              { tenantId: fact.tenantId, affiliateId: p.partner.externalId, partnerId: IsNull() },
              { partnerId: p.partner.id, attribution: AttributionMethod.AFFILIATE_ID },
            );
        }
      }).then(() => undefined),
  });
}
