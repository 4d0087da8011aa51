import { DataSource } from 'typeorm';
import { configureLogger, EnvReader, Fact, newId, Outbox, OutboxEntry, ProcessedFact, SubgraphRuntime } from '../../subgraphs/shared/src';
import { openDataSource } from '../../subgraphs/shared/src/data-source';
import { fxAt, parseFxRates } from '../../subgraphs/shared/src/fx';
import { readEventsConfig } from '../../subgraphs/events/src/config';
import { readCommissionsConfig } from '../../subgraphs/commissions/src/config';
import { computeCommissions, Plan } from '../../subgraphs/commissions/src/domain/compute';
import { startReadModelConsumers } from '../../subgraphs/events/src/consumers/read-models';
import { EventType } from '../../subgraphs/events/src/domain/event-types';
import { TrackEventFields } from '../../subgraphs/events/src/domain/track-event-input';
import { FxRateModel } from '../../subgraphs/events/src/entities/read-models.entity';
import { ReferralCodeOwner } from '../../subgraphs/events/src/entities/referral-code-owner.entity';
import { ReferralEvent } from '../../subgraphs/events/src/entities/referral-event.entity';
import { migrations } from '../../subgraphs/events/src/migrations';
import { entities } from '../../subgraphs/events/src/server';
import { useFxRates } from '../../subgraphs/events/src/services/plan-conversion';
import { recordEvent } from '../../subgraphs/events/src/services/track-event';

/**
 * isConversion against a CPA minAmount in another currency, on the events side: FX_RATES converts as it does for
 * commissions (one reader, one parser), and an event recorded with no rate is decided again, once, by the first
 * `fx_rate.changed` that covers it, corrected (referral_event.corrected + its conversionCorrected row) when the
 * answer changes. Plan: USD, CPA for a first deposit of at least 50 USD. FX_RATES here: EUR:USD=1.10 (GBP has none).
 */
beforeAll(() => configureLogger('silent'));

const TENANT = 'ten_rate_conv';
const PARTNER = 'prt_01JRATECONV000000000000000RC';
const FX_RATES = 'EUR:USD=1.10';
const PLAN: Plan = { id: 'cpl_rate', version: 1, currency: 'USD', holdDays: 14, rules: [{ kind: 'CPA', eventType: EventType.FIRST_DEPOSIT, amount: '100', minAmount: '50', tierRates: [] }] };
const secrets = { PRINCIPAL_SECRET: 'p'.repeat(32), CLICK_ID_SECRET: 'c'.repeat(32), SECRETS_KEY: 's'.repeat(32) };

describe('FX_RATES: events and commissions read and apply the same fallback', () => {
  it('both services read FX_RATES with one reader: the same text, and the same problem for a bad value', () => {
    const read = (env: Record<string, string>) => {
      const e = new EnvReader({ ...secrets, ...env });
      const c = new EnvReader({ ...secrets, ...env });
      return { events: readEventsConfig(e).fxRates, commissions: readCommissionsConfig(c).fxRates, problems: [e.problems, c.problems] };
    };
    expect(read({ FX_RATES })).toEqual({ events: FX_RATES, commissions: FX_RATES, problems: [[], []] });
    const bad = read({ FX_RATES: 'EUR:USD=abc' });
    expect(bad.problems[0]).toEqual(bad.problems[1]);
    expect(bad.problems[0]).toEqual([expect.stringMatching(/^FX_RATES must be comma-separated FROM:TO=rate entries.*the rate must be a positive decimal/)]);
  });
});

describe('events: isConversion with FX_RATES, and decided again when a rate arrives', () => {
  let ds: DataSource;
  const handlers: { types: string[]; handler: (f: Fact) => Promise<void> }[] = [];
  const fact = (type: string, payload: unknown): Fact => ({ id: newId('fct'), type, tenantId: TENANT, occurredAt: new Date().toISOString(), source: 'test', payload });
  const deliver = async (f: Fact) => {
    for (const h of handlers) if (h.types.includes(f.type)) await h.handler(f);
  };
  const record = (input: Partial<TrackEventFields>) =>
    ds.transaction((m) =>
      recordEvent(m, (() => ({})) as never, TENANT, { eventType: EventType.FIRST_DEPOSIT, referralCode: 'RATE', email: `${newId('x')}@example.com`, ...input }, { source: 'api', clickIdSecrets: ['s'.repeat(32)] }),
    );
  const stored = async (id: string) => {
    const e = await ds.getRepository(ReferralEvent).findOneByOrFail({ id });
    return [e.isConversion, e.conversionAwaitsRate];
  };
  const corrections = async () => (await ds.query(`SELECT body FROM outbox WHERE type = 'referral_event.corrected'`)).map((r: { body: string }) => JSON.parse(r.body).payload);
  const logged = async () => ds.query(`SELECT event_id, is_conversion, previous_is_conversion FROM event_corrections ORDER BY position`);

  beforeAll(async () => {
    ({ dataSource: ds } = await openDataSource('events', { dataDir: ':memory:' }, [...entities, OutboxEntry, ProcessedFact], migrations));
    useFxRates(ds, FX_RATES);
    const runtime = { dataSource: ds, outbox: new Outbox(ds, 'events'), consume: (o: any) => handlers.push(o) } as unknown as SubgraphRuntime;
    startReadModelConsumers(runtime);
    await ds.getRepository(ReferralCodeOwner).insert({ tenantId: TENANT, codeKey: 'rate', source: 'links', code: 'RATE', partnerId: PARTNER, ownerUserId: null, active: true, updatedAt: new Date() });
    await deliver(fact('commission_plan.changed', {
      plan: { id: PLAN.id, isDefault: true, productId: null, cpaEventTypes: ['FIRST_DEPOSIT'], versions: [{ version: 1, effectiveFrom: '2026-01-01T00:00:00.000Z', currency: 'USD', rules: PLAN.rules }] },
    }));
  });
  afterAll(() => ds.destroy());

  it.each([
    ['45 EUR: 45 x 1.10 = 49.50 USD, below 50: not a conversion, and commissions skips the CPA', '45.00', false],
    ['46 EUR: 46 x 1.10 = 50.60 USD: a conversion, and commissions pays the CPA', '46.00', true],
  ])('FX_RATES decides at once on both sides: %s', async (_name, amount, expected) => {
    const at = new Date('2026-05-01T08:00:00.000Z');
    const e = await record({ amount, currency: 'EUR', occurredAt: at });
    expect(await stored(e.id)).toEqual([expected, false]);
    // Commissions with the same FX_RATES text and the same (empty) rate table.
    const fx = fxAt([], at, parseFxRates(FX_RATES));
    const paid = computeCommissions({ kind: 'event', eventId: e.id, eventType: EventType.FIRST_DEPOSIT, amount, currency: 'EUR', isDuplicate: false, occurredAt: at }, PLAN, [PARTNER], fx);
    expect(paid.drafts.length === 1).toBe(expected);
  });

  it("the tenant's table wins over FX_RATES on both sides: 45 EUR at a table rate of 1.20 (54 USD) qualifies", async () => {
    const rate = { id: 'fxr_table_eur', from: 'EUR', to: 'USD', rate: '1.2', effectiveFrom: '2026-06-01T00:00:00.000Z', createdAt: '2026-06-01T00:00:00.000Z' };
    await deliver(fact('fx_rate.changed', { rate }));
    const at = new Date('2026-06-02T00:00:00.000Z');
    const e = await record({ amount: '45.00', currency: 'EUR', occurredAt: at });
    expect(await stored(e.id)).toEqual([true, false]);
    const rows = (await ds.getRepository(FxRateModel).findBy({ tenantId: TENANT })).map((r) => ({ from: r.from, to: r.to, rate: r.rate, effectiveFrom: r.effectiveFrom }));
    const paid = computeCommissions({ kind: 'event', eventId: e.id, eventType: EventType.FIRST_DEPOSIT, amount: '45.00', currency: 'EUR', isDuplicate: false, occurredAt: at }, PLAN, [PARTNER], fxAt(rows, at, parseFxRates(FX_RATES)));
    expect(paid.drafts.map((d) => [d.amount, d.fxRate])).toEqual([['100.00', '1.2']]);
  });

  it('45 and 46 GBP with no rate count, awaiting one; a rate dated after them changes nothing; a 1.10 rate before them corrects the 45 once, and its fact again changes nothing', async () => {
    const low = await record({ amount: '45.00', currency: 'GBP', occurredAt: new Date('2026-05-01T08:00:00.000Z') });
    const high = await record({ amount: '46.00', currency: 'GBP', occurredAt: new Date('2026-05-01T09:00:00.000Z') });
    expect([await stored(low.id), await stored(high.id)]).toEqual([[true, true], [true, true]]);

    await deliver(fact('fx_rate.changed', { rate: { id: 'fxr_gbp_late', from: 'GBP', to: 'USD', rate: '2', effectiveFrom: '2026-05-01T09:30:00.000Z', createdAt: '2026-05-02T00:00:00.000Z' } }));
    expect([await stored(low.id), await stored(high.id)]).toEqual([[true, true], [true, true]]);
    expect(await corrections()).toEqual([]);

    const rate = { id: 'fxr_gbp_early', from: 'GBP', to: 'USD', rate: '1.1', effectiveFrom: '2026-05-01T00:00:00.000Z', createdAt: '2026-05-02T00:00:01.000Z' };
    const rateFact = fact('fx_rate.changed', { rate });
    await deliver(rateFact);
    expect([await stored(low.id), await stored(high.id)]).toEqual([[false, false], [true, false]]);
    const reason = '45.00 GBP at the GBP/USD rate 1.1 effective 2026-05-01T00:00:00.000Z (fxr_gbp_early) is below the CPA minAmount: not a conversion';
    const expected = [{ event: expect.objectContaining({ id: low.id, isConversion: false, amount: '45.00', currency: 'GBP' }), previous: expect.objectContaining({ isConversion: true, amount: '45.00', eventType: 'FIRST_DEPOSIT' }), reason }];
    expect(await corrections()).toEqual([expect.objectContaining(expected[0])]);
    const log = [{ event_id: low.id, is_conversion: 0, previous_is_conversion: 1 }];
    expect(await logged()).toEqual(log);

    // Delivered again, and published again under a new fact id: nothing more.
    await deliver(rateFact);
    await deliver({ ...rateFact, id: newId('fct') });
    expect([await stored(low.id), await stored(high.id)]).toEqual([[false, false], [true, false]]);
    expect(await corrections()).toHaveLength(1);
    expect(await logged()).toEqual(log);
  });
});
