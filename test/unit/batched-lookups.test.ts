import { ApolloServer } from '@apollo/server';
import { DataSource, In } from 'typeorm';
import { configureLogger, openDataSource, Outbox, OutboxEntry, Principal, ProcessedFact, QueryCounter, ALL_SCOPES } from '../../subgraphs/shared/src';
import { Partner } from '../../subgraphs/links/src/entities/partner.entity';
import { createLoaders as linksLoaders } from '../../subgraphs/links/src/loaders';
import { migrations as linksMigrations } from '../../subgraphs/links/src/migrations';
import { buildLinksSchema } from '../../subgraphs/links/src/schema';
import { LinksConfig } from '../../subgraphs/links/src/config';
import { Click } from '../../subgraphs/links/src/entities/click.entity';
import { LinkKey, LinkSettings } from '../../subgraphs/links/src/entities/link-settings.entity';
import { PartnerCode } from '../../subgraphs/links/src/entities/partner-code.entity';
import { ReferralLink } from '../../subgraphs/links/src/entities/referral-link.entity';
import { LinksDeps } from '../../subgraphs/links/src/services/deps';
import { ReferralEvent } from '../../subgraphs/events/src/entities/referral-event.entity';
import { Trader } from '../../subgraphs/events/src/entities/trader.entity';
import { PartnerRef, ReferralCodeOwner } from '../../subgraphs/events/src/entities/referral-code-owner.entity';
import { createLoaders as eventsLoaders } from '../../subgraphs/events/src/loaders';
import { migrations as eventsMigrations } from '../../subgraphs/events/src/migrations';
import { buildEventsSchema } from '../../subgraphs/events/src/schema';
import { EventsConfig } from '../../subgraphs/events/src/config';
import { PostbackDelivery, PostbackEndpoint } from '../../subgraphs/events/src/entities/postback.entity';
import { ForexTransaction, TradingActivityDay } from '../../subgraphs/events/src/entities/forex.entity';
import { PartnerPlanModel, PlanModel, RecentClick, TenantSettings } from '../../subgraphs/events/src/entities/read-models.entity';
import { Commission, CommissionKind, CommissionStatus } from '../../subgraphs/commissions/src/entities/commission.entity';
import { CommissionPlan, PartnerPlan, PartnerRef as CommissionsPartnerRef } from '../../subgraphs/commissions/src/entities/plan.entity';
import { CommissionsConfig } from '../../subgraphs/commissions/src/config';
import { parseFxRates } from '../../subgraphs/commissions/src/domain/fx';
import { createLoaders as commissionsLoaders } from '../../subgraphs/commissions/src/loaders';
import { migrations as commissionsMigrations } from '../../subgraphs/commissions/src/migrations';
import { buildCommissionsSchema } from '../../subgraphs/commissions/src/schema';
import { AttributionMethod, EventType } from '../../subgraphs/events/src/domain/event-types';

/**
 * Entity lookups as the gateway sends them (`_entities` with many representations),
 * executed in-process against each subgraph schema on an in-memory database, counting
 * SQL statements.
 */
const TENANT = 'ten_a';
const principal: Principal = { tenantId: TENANT, scopes: [...ALL_SCOPES] };
const N = 500;
const ids = (prefix: string) => Array.from({ length: N }, (_, i) => `${prefix}_${String(i).padStart(26, '0')}`);

async function open(name: string, entities: Function[], migrations: Function[]) {
  return openDataSource(name, { dataDir: ':memory:' }, [...entities, OutboxEntry, ProcessedFact], migrations);
}

async function entities(server: ApolloServer<any>, context: object, typeName: string, keys: string[], selection: string) {
  const res = await server.executeOperation(
    { query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on ${typeName} { ${selection} } } }`, variables: { r: keys.map((id) => ({ __typename: typeName, id })) } },
    { contextValue: context },
  );
  if (res.body.kind !== 'single') throw new Error('unexpected incremental result');
  return res.body.singleResult;
}

function counted(queries: QueryCounter) {
  const start = queries.count;
  return () => queries.statements.slice(-(queries.count - start));
}

beforeAll(() => configureLogger('silent'));

function linksDeps(ds: DataSource): LinksDeps {
  const config = { defaultLinkDomain: 'https://www.example.com', publicUrl: 'http://gw.test', clickIdSecrets: ['s'.repeat(32)], secretsKey: 'k'.repeat(32), trustedProxies: ['loopback'] };
  return { outbox: new Outbox(ds, 'links'), config: config as LinksConfig };
}

function linksContext(ds: DataSource, p: Principal) {
  return { principal: p, dataSource: ds, loaders: linksLoaders(ds, p, linksDeps(ds)), now: new Date() };
}

describe('links: 500 partners by reference', () => {
  let ds: DataSource;
  let queries: QueryCounter;
  let server: ApolloServer<any>;
  beforeAll(async () => {
    ({ dataSource: ds, queries } = await open('links', [Partner, PartnerCode, LinkSettings, LinkKey, ReferralLink, Click], linksMigrations));
    const now = new Date();
    const rows = ids('prt').map((id, i) => ({ id, tenantId: i % 2 ? TENANT : 'ten_b', name: `P${i}`, email: null, externalId: null, parentId: null, referralCode: `c${i}`, referralCodeKey: `c${i}`, createdAt: now, updatedAt: now }));
    for (let i = 0; i < rows.length; i += 100) await ds.getRepository(Partner).insert(rows.slice(i, i + 100));
    server = new ApolloServer({ schema: await buildLinksSchema(linksDeps(ds)) });
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
    await ds.destroy();
  });

  it('costs one SQL query and answers only the caller tenant\'s partners', async () => {
    const statements = counted(queries);
    const result = await entities(server, linksContext(ds, principal), 'Partner', ids('prt'), 'id name');
    expect(statements()).toHaveLength(1);
    const data = result.data!._entities as ({ id: string } | null)[];
    expect(data).toHaveLength(N);
    expect(data.filter(Boolean)).toHaveLength(N / 2);
    data.forEach((p, i) => expect(p === null ? null : p.id).toBe(i % 2 ? ids('prt')[i] : null));
  });

  it('500 links and 500 clicks by reference cost one query each, with their partners one more', async () => {
    const now = new Date();
    const links = ids('ln').map((id, i) => ({ id, tenantId: TENANT, partnerId: ids('prt')[(i % 250) * 2 + 1], slug: `s${i}`, path: '/', encryptPartnerId: false, partnerToken: null, geoRouting: false, referralCode: 'c', createdAt: now }));
    const clicks = ids('clk').map((id, i) => ({ id, tenantId: TENANT, linkId: ids('ln')[i], partnerId: links[i].partnerId, isUnique: true, createdAt: now }));
    for (let i = 0; i < N; i += 100) {
      await ds.getRepository(ReferralLink).insert(links.slice(i, i + 100));
      await ds.getRepository(Click).insert(clicks.slice(i, i + 100));
    }
    let statements = counted(queries);
    const linkResult = await entities(server, linksContext(ds, principal), 'ReferralLink', ids('ln'), 'id partner { name }');
    expect(statements()).toHaveLength(2);
    expect((linkResult.data!._entities as any[]).every((l) => l.partner.name.startsWith('P'))).toBe(true);
    statements = counted(queries);
    const clickResult = await entities(server, linksContext(ds, principal), 'Click', ids('clk'), 'id link { id }');
    expect(statements()).toHaveLength(2);
    expect((clickResult.data!._entities as any[]).map((c) => c.link.id)).toEqual(ids('ln'));
  });

  it('a partner principal resolves no other partner by reference', async () => {
    const own = ids('prt')[1];
    const p: Principal = { ...principal, partnerId: own };
    const result = await entities(server, linksContext(ds, p), 'Partner', ids('prt').slice(0, 4), 'id');
    expect(result.data!._entities).toEqual([null, { id: own }, null, null]);
  });
});

describe('events: 500 events, traders and partner counters by reference', () => {
  let ds: DataSource;
  let queries: QueryCounter;
  let server: ApolloServer<any>;
  beforeAll(async () => {
    ({ dataSource: ds, queries } = await open('events', [ReferralEvent, Trader, ReferralCodeOwner, PartnerRef, RecentClick, TenantSettings, ForexTransaction, TradingActivityDay, PlanModel, PartnerPlanModel, PostbackEndpoint, PostbackDelivery], eventsMigrations));
    const now = new Date();
    const traders = ids('trd').map((id, i) => ({ id, tenantId: TENANT, email: `t${i}@x.io`, emailKey: `t${i}@x.io`, name: null, externalId: null, partnerId: ids('prt')[i], attribution: AttributionMethod.REFERRAL_CODE, createdAt: now }));
    const events = ids('evt').map((id, i) => ({ id, tenantId: TENANT, position: String(i + 1), eventType: EventType.REGISTRATION, partnerId: ids('prt')[i % 10], traderId: ids('trd')[i], attribution: AttributionMethod.REFERRAL_CODE, isConversion: true, isDuplicate: false, occurredAt: now, createdAt: now }));
    for (let i = 0; i < N; i += 100) {
      await ds.getRepository(Trader).insert(traders.slice(i, i + 100));
      await ds.getRepository(ReferralEvent).insert(events.slice(i, i + 100));
    }
    server = new ApolloServer({ schema: await buildEventsSchema({ outbox: new Outbox(ds, 'events'), config: { clickIdSecrets: ['s'.repeat(32)] } as EventsConfig, postbacks: null as never }) });
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
    await ds.destroy();
  });
  const ctx = () => ({ principal, dataSource: ds, loaders: eventsLoaders(ds, principal), now: new Date() });

  it('500 events cost one query for the events and one for their traders', async () => {
    const statements = counted(queries);
    const result = await entities(server, ctx(), 'ReferralEvent', ids('evt'), 'id eventType trader { email }');
    expect(statements()).toHaveLength(2);
    expect((result.data!._entities as any[]).map((e) => e.trader.email)).toEqual(ids('evt').map((_, i) => `t${i}@x.io`));
  });

  it('500 traders cost one query', async () => {
    const statements = counted(queries);
    const result = await entities(server, ctx(), 'Trader', ids('trd'), 'id email');
    expect(statements()).toHaveLength(1);
    expect((result.data!._entities as any[]).filter(Boolean)).toHaveLength(N);
  });

  it("500 partners' registration counts cost one query", async () => {
    const statements = counted(queries);
    const result = await entities(server, ctx(), 'Partner', ids('prt'), 'id registrationCount');
    expect(statements()).toHaveLength(1);
    const counts = (result.data!._entities as any[]).map((p) => p.registrationCount);
    expect(counts.slice(0, 10)).toEqual(Array(10).fill(N / 10));
    expect(counts.slice(10).every((c) => c === 0)).toBe(true);
  });
});

describe('commissions: earnings of 500 partners by reference', () => {
  let ds: DataSource;
  let queries: QueryCounter;
  let server: ApolloServer<any>;
  beforeAll(async () => {
    ({ dataSource: ds, queries } = await open('commissions', [Commission, CommissionPlan, PartnerPlan, CommissionsPartnerRef], commissionsMigrations));
    const now = new Date();
    const rows = [
      { amountMinor: '1000', status: 'PENDING' },
      { amountMinor: '2050', status: 'APPROVED' },
      { amountMinor: '333', status: 'PAID' },
      { amountMinor: '7', status: 'REVERSED' },
    ].map((r, i) => ({
      id: `com_${i}`,
      tenantId: TENANT,
      partnerId: ids('prt')[0],
      sourceKey: `evt_${i}`,
      eventId: null,
      traderId: null,
      planId: null,
      kind: CommissionKind.CPA,
      tier: 0,
      ruleIndex: 0,
      baseAmount: null,
      currency: 'USD',
      holdUntil: '2026-01-01',
      occurredAt: now,
      createdAt: now,
      ...r,
      status: r.status as CommissionStatus,
    }));
    await ds.getRepository(Commission).insert([...rows, { ...rows[0], id: 'com_other_tenant', tenantId: 'ten_b' }]);
    const commissionConfig = { defaultCurrency: 'USD', fxRates: '', approvalIntervalMs: 0 } as CommissionsConfig;
    server = new ApolloServer({ schema: await buildCommissionsSchema({ outbox: new Outbox(ds, 'commissions'), config: commissionConfig, fx: parseFxRates('') }) });
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
    await ds.destroy();
  });

  it('500 commissions by reference cost one query', async () => {
    const now = new Date();
    const many = ids('com').map((id, i) => ({
      id,
      tenantId: TENANT,
      partnerId: ids('prt')[i],
      sourceKey: `bulk_${i}`,
      eventId: null,
      traderId: null,
      planId: null,
      kind: CommissionKind.REVSHARE,
      tier: 0,
      ruleIndex: 0,
      baseAmount: null,
      amountMinor: String(i),
      currency: 'USD',
      status: CommissionStatus.PENDING,
      holdUntil: '2026-01-01',
      occurredAt: now,
      createdAt: now,
    }));
    for (let i = 0; i < N; i += 100) await ds.getRepository(Commission).insert(many.slice(i, i + 100));
    const statements = counted(queries);
    const result = await entities(server, { principal, dataSource: ds, loaders: commissionsLoaders(ds, principal), defaultCurrency: 'USD' }, 'Commission', ids('com'), 'id amount');
    expect(statements()).toHaveLength(1);
    expect((result.data!._entities as any[]).map((c) => c.amount).slice(0, 3)).toEqual(['0.00', '0.01', '0.02']);
    await ds.getRepository(Commission).delete({ sourceKey: In(many.map((m) => m.sourceKey)) });
  });

  it('costs one query and sums exactly per status, only within the tenant', async () => {
    const statements = counted(queries);
    const result = await entities(server, { principal, dataSource: ds, loaders: commissionsLoaders(ds, principal), defaultCurrency: 'USD' }, 'Partner', ids('prt'), 'id earnings { currency pendingIncome approvedIncome paidIncome totalIncome reversedIncome }');
    expect(statements()).toHaveLength(1);
    const all = result.data!._entities as any[];
    expect(all[0].earnings).toEqual({ currency: 'USD', pendingIncome: '10.00', approvedIncome: '20.50', paidIncome: '3.33', totalIncome: '23.83', reversedIncome: '0.07' });
    expect(all[1].earnings).toEqual({ currency: 'USD', pendingIncome: '0.00', approvedIncome: '0.00', paidIncome: '0.00', totalIncome: '0.00', reversedIncome: '0.00' });
  });

  it("500 partners' plans and percentages cost two queries: assigned plan, else the tenant default, never a product plan", async () => {
    const now = new Date();
    const plan = (id: string, tenantId: string, isDefault: boolean, productId: string | null, percentage: string, salePercentage: string | null) =>
      ({ id, tenantId, name: id, currency: 'USD', holdDays: 0, productId, isDefault, salePercentage, rules: [{ kind: 'REVSHARE', percentage }], createdAt: now, updatedAt: now }) as unknown as CommissionPlan;
    await ds.getRepository(CommissionPlan).insert([
      plan('pln_default', TENANT, true, null, '10', null),
      plan('pln_gold', TENANT, false, null, '25', '5'),
      plan('pln_product', TENANT, false, 'prod_x', '99', null),
      plan('pln_other_default', 'ten_b', true, null, '50', null),
    ]);
    const assigned = ids('prt').filter((_, i) => i % 3 === 0);
    for (let i = 0; i < assigned.length; i += 100) {
      await ds.getRepository(PartnerPlan).insert(assigned.slice(i, i + 100).map((partnerId) => ({ partnerId, tenantId: TENANT, planId: 'pln_gold', assignedAt: now })));
    }
    const statements = counted(queries);
    const result = await entities(server, { principal, dataSource: ds, loaders: commissionsLoaders(ds, principal), defaultCurrency: 'USD' }, 'Partner', ids('prt'), 'id incomePercentage salePercentage commissionPlan { id }');
    expect(statements()).toHaveLength(2);
    const all = result.data!._entities as any[];
    expect(all).toHaveLength(N);
    all.forEach((p, i) => {
      if (i % 3 === 0) expect(p).toEqual({ id: ids('prt')[i], incomePercentage: '25', salePercentage: '5', commissionPlan: { id: 'pln_gold' } });
      else expect(p).toEqual({ id: ids('prt')[i], incomePercentage: '10', salePercentage: null, commissionPlan: { id: 'pln_default' } });
    });
    await ds.getRepository(PartnerPlan).clear();
    await ds.getRepository(CommissionPlan).clear();
  });
});
