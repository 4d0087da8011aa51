import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Recent clicks (fed by `click.recorded`): fingerprint attribution finds the latest click
 * of the same visitor within the tenant's attribution window without asking links.
 */
@Entity('recent_clicks')
export class RecentClick {
  @PrimaryColumn({ name: 'click_id', type: 'varchar' })
  clickId: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ name: 'link_id', type: 'varchar' })
  linkId: string;

  @Column({ name: 'partner_id', type: 'varchar' })
  partnerId: string;

  @Column({ type: 'varchar' })
  fingerprint: string;

  @Column({ name: 'created_at' })
  createdAt: Date;
}

/** Per-tenant settings of the events subgraph, and what it learns from link settings. */
@Entity('tenant_settings')
export class TenantSettings {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  /** Event types that count as conversions until commission plans say otherwise; null = defaults. */
  @Column({ name: 'conversion_event_types', type: 'simple-json', nullable: true })
  conversionEventTypes: string[] | null;

  /** From `link_settings.changed`; null = 24 h. */
  @Column({ name: 'attribution_window_hours', type: 'integer', nullable: true })
  attributionWindowHours: number | null;

  /** Refuse events whose productId is not in the product catalogue; null = false. */
  @Column({ name: 'refuse_unknown_products', type: 'boolean', nullable: true })
  refuseUnknownProducts: boolean | null;

  @Column({ name: 'updated_at' })
  updatedAt: Date;

  /** Time of the `link_settings.changed` fact attributionWindowHours is from: an older one is not applied. */
  @Column({ name: 'link_settings_at', type: Date, nullable: true })
  linkSettingsAt: Date | null;
}

/** Read model of commission plans (fed by `commission_plan.changed`): which event types each pays a CPA for. */
@Entity('plan_models')
export class PlanModel {
  @PrimaryColumn({ name: 'plan_id', type: 'varchar' })
  planId: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ name: 'is_default', type: 'boolean' })
  isDefault: boolean;

  @Column({ name: 'product_id', type: 'varchar', nullable: true })
  productId: string | null;

  @Column({ name: 'cpa_event_types', type: 'simple-json' })
  cpaEventTypes: string[];

  /**
   * The plan's versions as far as isConversion needs them (currency, CPA rules with minAmount, in force from
   * effectiveFrom); null for a plan known only from a fact older than plan versions (cpaEventTypes then decide).
   */
  @Column({ type: 'simple-json', nullable: true })
  versions: PlanModelVersion[] | null;

  /** Time of the `commission_plan.changed` fact the row is from; null before facts were ordered. */
  @Column({ name: 'updated_at', type: Date, nullable: true })
  updatedAt: Date | null;
}

export interface PlanModelVersion {
  version: number;
  effectiveFrom: string;
  currency: string;
  /** CPA rules; accountTypes and countries (rule conditions) are absent in facts from before conditions existed. */
  rules: { kind: string; eventType: string | null; minAmount: string | null; accountTypes?: string[] | null; countries?: string[] | null }[];
}

/** Which plan a partner is on (fed by `commission_plan.assigned`). */
@Entity('partner_plan_models')
export class PartnerPlanModel {
  @PrimaryColumn({ name: 'partner_id', type: 'varchar' })
  partnerId: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ name: 'plan_id', type: 'varchar' })
  planId: string;

  /** Time of the `commission_plan.assigned` fact the row is from; null before facts were ordered. */
  @Column({ name: 'updated_at', type: Date, nullable: true })
  updatedAt: Date | null;
}

/**
 * Read model of the tenant's dated exchange rates (fed by `fx_rate.changed`, from commissions' setFxRate): one row
 * per rate, written once and never changed, so isConversion compares minAmount with the rate commissions uses.
 */
@Entity('fx_rate_models')
export class FxRateModel {
  /** The rate's id in commissions: a redelivered or republished fact finds its row and adds nothing. */
  @PrimaryColumn({ type: 'varchar' })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ name: 'from_currency', type: 'varchar' })
  from: string;

  @Column({ name: 'to_currency', type: 'varchar' })
  to: string;

  @Column({ type: 'varchar' })
  rate: string;

  @Column({ name: 'effective_from' })
  effectiveFrom: Date;

  /** When commissions stored it: of two rates of a pair from the same instant, the later one applies. */
  @Column({ name: 'created_at' })
  createdAt: Date;
}
