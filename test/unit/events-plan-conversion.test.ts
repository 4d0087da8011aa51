import { DataSource } from 'typeorm';
import { configureLogger, Emit, Fact, newId, Outbox, OutboxEntry, ProcessedFact, SubgraphRuntime } from '../../subgraphs/shared/src';
import { openDataSource } from '../../subgraphs/shared/src/data-source';
import { startReadModelConsumers } from '../../subgraphs/events/src/consumers/read-models';
import { EventType } from '../../subgraphs/events/src/domain/event-types';
import { TrackEventFields, validateTrackEvent } from '../../subgraphs/events/src/domain/track-event-input';
import { ReferralCodeOwner } from '../../subgraphs/events/src/entities/referral-code-owner.entity';
import { migrations } from '../../subgraphs/events/src/migrations';
import { entities } from '../../subgraphs/events/src/server';
import { recordEvent } from '../../subgraphs/events/src/services/track-event';

/**
 * The events side of plan versions and refunds: isConversion by the plan version in force when the event
 * occurred (minAmount included), from the commission_plan.changed facts; refundOf checked and carried.
 */
beforeAll(() => configureLogger('silent'));

const TENANT = 'ten_conv';
const PARTNER = 'prt_01JCONV00000000000000000CV';

describe('events: isConversion by plan version, refunds naming their payment', () => {
  let ds: DataSource;
  const handlers: { types: string[]; handler: (f: Fact) => Promise<void> }[] = [];
  const emitted: { type: string; payload: any }[] = [];
  const emit = ((type: string, _t: string, payload: unknown) => emitted.push({ type, payload })) as unknown as Emit;
  const deliver = async (type: string, payload: unknown) => {
    const fact = { id: newId('fct'), type, tenantId: TENANT, occurredAt: new Date().toISOString(), source: 'test', payload };
    for (const h of handlers) if (h.types.includes(type)) await h.handler(fact);
  };
  const record = (input: TrackEventFields) =>
    ds.transaction((m) => recordEvent(m, emit, TENANT, { referralCode: 'CONV', ...input }, { source: 'api', clickIdSecrets: ['s'.repeat(32)] }));

  beforeAll(async () => {
    // The outbox's tables: the rate's fact corrects the EUR event recorded without a rate (referral_event.corrected).
    ({ dataSource: ds } = await openDataSource('events', { dataDir: ':memory:' }, [...entities, OutboxEntry, ProcessedFact], migrations));
    const runtime = { dataSource: ds, outbox: new Outbox(ds, 'events'), consume: (o: any) => handlers.push(o) } as unknown as SubgraphRuntime;
    startReadModelConsumers(runtime);
    await ds.getRepository(ReferralCodeOwner).insert({ tenantId: TENANT, codeKey: 'conv', source: 'links', code: 'CONV', partnerId: PARTNER, ownerUserId: null, active: true, updatedAt: new Date() });
    const version = (version: number, effectiveFrom: string, minAmount: string | null) => ({
      version,
      effectiveFrom,
      currency: 'USD',
      rules: [{ kind: 'CPA', eventType: 'FIRST_DEPOSIT', minAmount }],
    });
    // Version 1 pays a first deposit from 100 USD; version 2 (from June) from 500 USD.
    const plan = { id: 'cpl_conv', isDefault: true, productId: null, currency: 'USD', cpaEventTypes: ['FIRST_DEPOSIT'] };
    await deliver('commission_plan.changed', { plan: { ...plan, versions: [version(1, '2026-05-01T00:00:00.000Z', '100'), version(2, '2026-06-01T00:00:00.000Z', '500')] } });
    // An older fact arriving late never takes version 2 away.
    await deliver('commission_plan.changed', { plan: { ...plan, versions: [version(1, '2026-05-01T00:00:00.000Z', '100')] } });
  });
  afterAll(() => ds.destroy());

  it.each([
    ['a 150 USD first deposit in May qualifies (version 1: from 100)', '150.00', 'USD', '2026-05-20T00:00:00Z', true],
    ['the same deposit in June does not (version 2: from 500)', '150.00', 'USD', '2026-06-20T00:00:00Z', false],
    ['a 500 USD first deposit in June qualifies', '500.00', 'USD', '2026-06-20T00:00:00Z', true],
    ['a 99.99 USD first deposit in May does not', '99.99', 'USD', '2026-05-20T00:00:00Z', false],
    ['a first deposit in EUR cannot be compared without a rate: it counts', '150.00', 'EUR', '2026-06-20T00:00:00Z', true],
  ])('%s', async (_name, amount, currency, occurredAt, expected) => {
    const e = await record({ eventType: EventType.FIRST_DEPOSIT, email: `${newId('x')}@example.com`, amount, currency, occurredAt: new Date(occurredAt) });
    expect(e.partnerId).toBe(PARTNER);
    expect(e.isConversion).toBe(expected);
  });

  describe('an amount in another currency than the plan: amountUsd, else the tenant rate in force (fx_rate.changed)', () => {
    // EUR -> USD 1.10 from May 1st, as commissions' setFxRate publishes it.
    const rate = { id: 'fxr_conv_eur', from: 'EUR', to: 'USD', rate: '1.1', effectiveFrom: '2026-05-01T00:00:00.000Z', createdAt: '2026-05-02T00:00:00.000Z' };
    let rateFact: Fact;
    beforeAll(async () => {
      rateFact = { id: newId('fct'), type: 'fx_rate.changed', tenantId: TENANT, occurredAt: new Date().toISOString(), source: 'test', payload: { rate } };
      for (const h of handlers) if (h.types.includes('fx_rate.changed')) await h.handler(rateFact);
    });

    // Version 1 (May) pays a first deposit from 100 USD.
    it.each([
      ['90 EUR in May: 90 x 1.10 = 99 USD, below 100', '90.00', undefined, '2026-05-20T00:00:00Z', false],
      ['91 EUR in May: 91 x 1.10 = 100.10 USD, qualifies', '91.00', undefined, '2026-05-20T00:00:00Z', true],
      ['80 EUR with amountUsd 100: the sender\'s USD value wins (the rate would say 88)', '80.00', '100.00', '2026-05-20T00:00:00Z', true],
      ['100 EUR with amountUsd 99.99: below 100 (the rate would say 110)', '100.00', '99.99', '2026-05-20T00:00:00Z', false],
      ['50 EUR in April, before the rate is in force: no rate yet, it counts', '50.00', undefined, '2026-04-20T00:00:00Z', true],
    ])('%s', async (_name, amount, amountUsd, occurredAt, expected) => {
      const e = await record({ eventType: EventType.FIRST_DEPOSIT, email: `${newId('x')}@example.com`, amount, currency: 'EUR', amountUsd, occurredAt: new Date(occurredAt) });
      expect(e.isConversion).toBe(expected);
    });

    it('the rate fact redelivered, or republished carrying other values for the same rate, changes nothing', async () => {
      for (const h of handlers) if (h.types.includes('fx_rate.changed')) {
        await h.handler(rateFact);
        await h.handler({ ...rateFact, id: newId('fct'), payload: { rate: { ...rate, rate: '2' } } });
      }
      expect(await ds.query(`SELECT id, rate FROM fx_rate_models`)).toEqual([{ id: 'fxr_conv_eur', rate: '1.1' }]);
      const e = await record({ eventType: EventType.FIRST_DEPOSIT, email: `${newId('x')}@example.com`, amount: '90.00', currency: 'EUR', occurredAt: new Date('2026-05-20T00:00:00Z') });
      expect(e.isConversion).toBe(false);
    });
  });

  describe('refundOf', () => {
    const email = 'refunds@example.com';
    let paymentId: string;
    beforeAll(async () => {
      paymentId = (await record({ eventType: EventType.FIRST_DEPOSIT, email, amount: '200.00', currency: 'USD' })).id;
    });

    it('a refund names its payment: stored on the event and carried, with the payment, in event.recorded', async () => {
      emitted.length = 0;
      const refund = await record({ eventType: EventType.REFUND, email, amount: '50.00', currency: 'USD', refundOf: paymentId });
      expect(refund.refundOf).toBe(paymentId);
      const fact = emitted.find((f) => f.type === 'event.recorded')!.payload;
      expect(fact.event.refundOf).toBe(paymentId);
      expect(fact.refunded).toMatchObject({ id: paymentId, eventType: 'FIRST_DEPOSIT', amount: '200.00', currency: 'USD', partnerId: PARTNER });
    });

    it.each([
      ['an unknown event', () => 'evt_01JUNKNOWN00000000000000000', { email }],
      ["another customer's payment", () => paymentId, { email: 'someone.else@example.com' }],
      ['a payment while the refund names no customer', () => paymentId, {}],
    ])('refundOf naming %s is NOT_FOUND on input.refundOf and stores nothing', async (_n, id, who) => {
      const before = await ds.query(`SELECT COUNT(*) AS n FROM events`);
      await expect(record({ eventType: EventType.REFUND, amount: '10.00', currency: 'USD', refundOf: id(), ...who })).rejects.toMatchObject({
        extensions: { code: 'NOT_FOUND', param: 'input.refundOf' },
      });
      expect(await ds.query(`SELECT COUNT(*) AS n FROM events`)).toEqual(before);
    });

    it('a refund of a refund is NOT_FOUND: only payments are refunded', async () => {
      const refund = await record({ eventType: EventType.REFUND, email, amount: '1.00', currency: 'USD', refundOf: paymentId });
      await expect(record({ eventType: EventType.CHARGEBACK, email, refundOf: refund.id })).rejects.toMatchObject({ extensions: { code: 'NOT_FOUND', param: 'input.refundOf' } });
    });

    it('more than the payment, or another currency, is BAD_USER_INPUT naming the field', async () => {
      await expect(record({ eventType: EventType.REFUND, email, amount: '200.01', currency: 'USD', refundOf: paymentId })).rejects.toMatchObject({
        extensions: { code: 'BAD_USER_INPUT', param: 'input.amount' },
      });
      await expect(record({ eventType: EventType.REFUND, email, amount: '10.00', currency: 'EUR', refundOf: paymentId })).rejects.toMatchObject({
        extensions: { code: 'BAD_USER_INPUT', param: 'input.currency' },
      });
    });

    it('refundOf is only for REFUND and CHARGEBACK', () => {
      expect(() => validateTrackEvent({ eventType: EventType.RECURRING_DEPOSIT, amount: '5', currency: 'USD', refundOf: 'evt_x' })).toThrow(
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', param: 'input.refundOf' }) }),
      );
      expect(() => validateTrackEvent({ eventType: EventType.CHARGEBACK, refundOf: 'evt_x' })).not.toThrow();
    });
  });
});
