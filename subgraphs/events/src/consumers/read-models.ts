import { consumeOnce, dateParam, Fact, olderThanStored, olderThanStoredAt, SubgraphRuntime } from '../../../shared/src';
import { IsNull } from 'typeorm';
import { AttributionMethod } from '../domain/event-types';
import { FxRateModel, PartnerPlanModel, PlanModel, PlanModelVersion, RecentClick, TenantSettings } from '../entities/read-models.entity';
import { Trader } from '../entities/trader.entity';
import { PartnerRef, ReferralCodeOwner } from '../entities/referral-code-owner.entity';
import type { CodeWaiters } from '../services/attribution-wait';
import { settleCodesOfOwner, settlePendingCodes } from '../services/settle-attribution';
import { rateDecidesConversions } from '../services/rate-decides-conversions';

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

interface FxRateChanged {
  /** createdAt: in facts since events keeps rates (absent in older ones: their effectiveFrom stands in). */
  rate: { id: string; from: string; to: string; rate: string; effectiveFrom: string; createdAt?: string };
}

interface LinkSettingsChanged {
  settings: { attributionWindowHours: number };
}

/** Clicks older than the longest attribution window (720 h) can no longer attribute. */
const RECENT_CLICK_RETENTION_MS = 31 * 86_400_000;

/**
 * Keeps the events subgraph's read models (codes, partners, recent clicks, link settings, plans, exchange rates)
 * current from the bus. Applying a code also settles the PENDING events that waited for it
 * (same transaction) and, once committed, wakes the requests waiting for it (`waiters`).
 */
export function startReadModelConsumers(runtime: SubgraphRuntime, waiters?: CodeWaiters): void {
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
        // An older fact (out of order, or published again) never overwrites a newer assignment or plan.
        const at = new Date(fact.occurredAt);
        if (fact.type === 'commission_plan.assigned') {
          const { partnerId, planId } = fact.payload as { partnerId: string; planId: string };
          if (await olderThanStoredAt(m, PartnerPlanModel, { partnerId }, 'updatedAt', at)) return;
          await m.getRepository(PartnerPlanModel).upsert({ partnerId, tenantId: fact.tenantId, planId, updatedAt: at }, ['partnerId']);
          return;
        }
        const { plan } = fact.payload as { plan: { id: string; isDefault: boolean; productId: string | null; cpaEventTypes: string[]; versions?: PlanModelVersion[] } };
        const repo = m.getRepository(PlanModel);
        const known = await repo.findOneBy({ planId: plan.id });
        if (known?.updatedAt && new Date(known.updatedAt).getTime() > at.getTime()) return;
        // Facts may arrive out of order: an older one never takes away a version already known.
        const latest = (versions: PlanModelVersion[] | null | undefined) => Math.max(0, ...(versions ?? []).map((v) => v.version));
        const versions = latest(known?.versions) > latest(plan.versions) ? known!.versions : plan.versions ?? null;
        await repo.upsert(
          { planId: plan.id, tenantId: fact.tenantId, isDefault: plan.isDefault, productId: plan.productId, cpaEventTypes: plan.cpaEventTypes, versions, updatedAt: at },
          ['planId'],
        );
      }).then(() => undefined),
  });
  runtime.consume({
    group: 'events.fx-rates',
    types: ['fx_rate.changed'],
    handler: (fact: Fact) =>
      runtime.outbox
        .consume('events.fx-rates', fact, async (m, emit) => {
          const { rate } = fact.payload as FxRateChanged;
          if (!rate?.id || !rate.from || !rate.to || !rate.rate || !rate.effectiveFrom) return;
          // A rate is never changed, only followed by later ones: insert once by its id, so a republished or late
          // fact adds nothing and cannot overwrite anything (which rate applies is decided by dates, not arrival).
          await m
            .createQueryBuilder()
            .insert()
            .into(FxRateModel)
            .values({ id: rate.id, tenantId: fact.tenantId, from: rate.from, to: rate.to, rate: rate.rate, effectiveFrom: new Date(rate.effectiveFrom), createdAt: new Date(rate.createdAt ?? rate.effectiveFrom) })
            .orIgnore()
            .execute();
          // Events whose isConversion waited for a rate are decided again, once, by this fact (same transaction).
          await rateDecidesConversions(m, emit, fact.tenantId, rate);
        })
        .then(() => undefined),
  });
  runtime.consume({
    group: 'events.link-settings',
    types: ['link_settings.changed'],
    handler: (fact: Fact) =>
      consumeOnce(ds, 'events.link-settings', fact, async (m) => {
        const { settings } = fact.payload as LinkSettingsChanged;
        const repo = m.getRepository(TenantSettings);
        const at = new Date(fact.occurredAt);
        const row = (await repo.findOneBy({ tenantId: fact.tenantId })) ?? repo.create({ tenantId: fact.tenantId, conversionEventTypes: null });
        // An older fact (out of order, or published again) never overwrites newer link settings.
        if (row.linkSettingsAt && new Date(row.linkSettingsAt).getTime() > at.getTime()) return;
        row.attributionWindowHours = settings.attributionWindowHours;
        row.linkSettingsAt = at;
        row.updatedAt = new Date();
        await repo.save(row);
      }).then(() => undefined),
  });
  runtime.consume({
    group: 'events.referral-codes',
    types: ['referral_code.changed'],
    handler: async (fact: Fact) => {
      const p = fact.payload as ReferralCodeChanged;
      await runtime.outbox.consume('events.referral-codes', fact, async (m, emit) => {
        const key = { tenantId: fact.tenantId, source: p.source, codeKey: p.code.toLowerCase() };
        // An older fact (out of order, or published again) never overwrites a newer state of the code.
        if (await olderThanStored(m, ReferralCodeOwner, key, new Date(fact.occurredAt))) return;
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
        if (p.active) await settlePendingCodes(m, emit, fact.tenantId, [p.code]);
      });
      // Even when already processed: a waiter that missed the first wake-up looks again.
      waiters?.applied(fact.tenantId, [p.code.toLowerCase()]);
    },
  });
  runtime.consume({
    group: 'events.partners',
    types: ['partner.changed'],
    handler: async (fact: Fact) => {
      const p = fact.payload as PartnerChanged;
      let codeKeys: string[] = [];
      await runtime.outbox.consume('events.partners', fact, async (m, emit) => {
        // An older fact (out of order, or published again) never overwrites a newer partner.
        if (await olderThanStored(m, PartnerRef, { partnerId: p.partner.id }, new Date(fact.occurredAt))) return;
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
          // KYC codes its user owns may have events waiting for them.
          ({ codeKeys } = await settleCodesOfOwner(m, emit, fact.tenantId, p.partner.externalId));
        }
      });
      if (codeKeys.length) waiters?.applied(fact.tenantId, codeKeys);
    },
  });
}
