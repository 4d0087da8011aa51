import { DataSource } from 'typeorm';
import { configureLogger, Emit, Fact, fingerprint, Outbox, OutboxEntry, ProcessedFact, SubgraphRuntime } from '../../subgraphs/shared/src';
import { openDataSource, QueryCounter } from '../../subgraphs/shared/src/data-source';
import { AttributionMethod, EventType } from '../../subgraphs/events/src/domain/event-types';
import { RecentClick } from '../../subgraphs/events/src/entities/read-models.entity';
import { PartnerRef, ReferralCodeOwner } from '../../subgraphs/events/src/entities/referral-code-owner.entity';
import { ReferralEvent } from '../../subgraphs/events/src/entities/referral-event.entity';
import { Trader } from '../../subgraphs/events/src/entities/trader.entity';
import { startReadModelConsumers } from '../../subgraphs/events/src/consumers/read-models';
import { migrations } from '../../subgraphs/events/src/migrations';
import { entities } from '../../subgraphs/events/src/server';
import { CodeNotKnownYet, CodeWaiters } from '../../subgraphs/events/src/services/attribution-wait';
import { settlePendingCodes, sweepPending } from '../../subgraphs/events/src/services/settle-attribution';
import { recordEvent } from '../../subgraphs/events/src/services/track-event';
import { createDatabase, describeWithPostgres } from '../helpers/services';

/**
 * PENDING events (a referral code not known yet) and their settlement, exactly once, on
 * both databases: by the read-model consumer when the code's fact arrives (delivered twice,
 * or racing a sweep), by the sweep when the event committed after its code, and given up
 * after ATTRIBUTION_PENDING_HOURS with the signals after the code.
 */
beforeAll(() => configureLogger('silent'));

const { REFERRAL_CODE, TRADER_FIRST_TOUCH, FINGERPRINT, PENDING, NONE } = AttributionMethod;
const all = [...entities, OutboxEntry, ProcessedFact];

interface Db {
  ds: DataSource;
  queries: QueryCounter;
  close: () => Promise<void>;
}

function defineSettlementTests(open: () => Promise<Db>): void {
  let ds: DataSource;
  let queries: QueryCounter;
  let outbox: Outbox;
  let close: () => Promise<void>;
  const T = 'ten_a';
  const opts = { source: 'api' as const, clickIdSecrets: ['s'.repeat(32)] };

  beforeEach(async () => {
    ({ ds, queries, close } = await open());
    outbox = new Outbox(ds, 'events');
  });
  afterEach(async () => {
    await close();
  });

  const record = (input: Parameters<typeof recordEvent>[3], extra: Partial<Parameters<typeof recordEvent>[4]> = {}) =>
    outbox.transaction((m, emit) => recordEvent(m, emit, T, input, { ...opts, ...extra }));
  const facts = async (type: string) => (await ds.getRepository(OutboxEntry).findBy({ type, tenantId: T })).map((r) => JSON.parse(r.body) as Fact<any>);
  const event = (id: string) => ds.getRepository(ReferralEvent).findOneByOrFail({ id });
  const trader = (id: string) => ds.getRepository(Trader).findOneByOrFail({ id });
  const addCode = (code: string, partnerId: string) =>
    ds.getRepository(ReferralCodeOwner).insert({ tenantId: T, codeKey: code.toLowerCase(), source: 'links', code, partnerId, ownerUserId: null, active: true, updatedAt: new Date() });

  it('a code not known yet rolls back for the wait when the caller may wait, writing nothing', async () => {
    await expect(record({ eventType: EventType.REGISTRATION, email: 'a@example.com', referralCode: 'Later1' }, { codeWait: 'wait' })).rejects.toBeInstanceOf(CodeNotKnownYet);
    expect(await ds.getRepository(ReferralEvent).countBy({ tenantId: T })).toBe(0);
    expect(await ds.getRepository(Trader).countBy({ tenantId: T })).toBe(0);
  });

  it('a known code costs no statement more than an event without a code, beyond the code lookup itself', async () => {
    await addCode('Known1', 'prt_k');
    const statements = async (email: string, referralCode?: string) => {
      const start = queries.count;
      await ds.transaction((m) => recordEvent(m, (() => ({})) as unknown as Emit, T, { eventType: EventType.REGISTRATION, email, referralCode }, { ...opts, codeWait: 'wait' }));
      return queries.count - start;
    };
    const plain = await statements('plain@example.com');
    expect(await statements('coded@example.com', 'KNOWN1')).toBe(plain + 1);
  });

  it('an event whose code comes later is PENDING, is settled once with its trader and the trader’s waiting events, and a second settlement changes nothing', async () => {
    const reg = await record({ eventType: EventType.REGISTRATION, email: 'b@example.com', referralCode: 'LATER2' }, { codeWait: 'waited' });
    expect(reg).toMatchObject({ attribution: PENDING, partnerId: null, isConversion: false, pendingCode: 'later2' });
    expect(await trader(reg.traderId!)).toMatchObject({ partnerId: null, attribution: PENDING });
    // The trader's next event, with no signal of its own, waits on the same first touch.
    const dep = await record({ eventType: EventType.FIRST_DEPOSIT, email: 'B@example.com', amount: '100', currency: 'USD' });
    expect(dep).toMatchObject({ attribution: PENDING, partnerId: null, pendingCode: null, traderId: reg.traderId });
    // Settling before the code is known does nothing.
    expect(await outbox.transaction((m, emit) => settlePendingCodes(m, emit, T, ['later2']))).toBe(0);

    await addCode('Later2', 'prt_late');
    expect(await outbox.transaction((m, emit) => settlePendingCodes(m, emit, T, ['LATER2']))).toBe(2);
    expect(await event(reg.id)).toMatchObject({ attribution: REFERRAL_CODE, partnerId: 'prt_late', isConversion: true, pendingCode: null });
    expect(await event(dep.id)).toMatchObject({ attribution: TRADER_FIRST_TOUCH, partnerId: 'prt_late', isConversion: true });
    expect(await trader(reg.traderId!)).toMatchObject({ partnerId: 'prt_late', attribution: REFERRAL_CODE });
    const attributed = await facts('event.attributed');
    expect(attributed.map((f) => [f.payload.event.id, f.payload.event.attribution, f.payload.event.partnerId, f.payload.trader.partnerId])).toEqual([
      [reg.id, REFERRAL_CODE, 'prt_late', 'prt_late'],
      [dep.id, TRADER_FIRST_TOUCH, 'prt_late', 'prt_late'],
    ]);

    expect(await outbox.transaction((m, emit) => settlePendingCodes(m, emit, T, ['later2']))).toBe(0);
    expect(await sweepPending(outbox, new Date(), 168)).toBe(0);
    expect(await facts('event.attributed')).toHaveLength(2);
  });

  it('the code fact delivered twice to the read-model consumer settles the event once', async () => {
    const handlers = new Map<string, (f: Fact) => Promise<void>>();
    const runtime = { dataSource: ds, outbox, consume: (o: { types: string[]; handler: (f: Fact) => Promise<void> }) => o.types.forEach((t) => handlers.set(t, o.handler)) };
    const waiters = new CodeWaiters(null);
    startReadModelConsumers(runtime as unknown as SubgraphRuntime, waiters);
    const reg = await record({ eventType: EventType.REGISTRATION, email: 'c@example.com', referralCode: 'Fact3' });
    const fact: Fact = { id: 'fct_code3', type: 'referral_code.changed', tenantId: T, occurredAt: new Date().toISOString(), source: 'links', payload: { source: 'links', code: 'fact3', partnerId: 'prt_f', active: true } };
    const waiting = waiters.waitFor(T, 'fact3', 60_000, async () => (await ds.getRepository(ReferralCodeOwner).countBy({ tenantId: T, codeKey: 'fact3' })) > 0);
    await handlers.get('referral_code.changed')!(fact);
    await expect(waiting).resolves.toBe(true);
    await handlers.get('referral_code.changed')!(fact);
    expect(await event(reg.id)).toMatchObject({ attribution: REFERRAL_CODE, partnerId: 'prt_f' });
    expect(await facts('event.attributed')).toHaveLength(1);
  });

  it('a KYC code whose owner becomes a partner later settles when the partner arrives', async () => {
    const handlers = new Map<string, (f: Fact) => Promise<void>>();
    const runtime = { dataSource: ds, outbox, consume: (o: { types: string[]; handler: (f: Fact) => Promise<void> }) => o.types.forEach((t) => handlers.set(t, o.handler)) };
    startReadModelConsumers(runtime as unknown as SubgraphRuntime);
    const reg = await record({ eventType: EventType.REGISTRATION, email: 'k@example.com', referralCode: 'KYC4' });
    const at = new Date().toISOString();
    await handlers.get('referral_code.changed')!({ id: 'fct_k1', type: 'referral_code.changed', tenantId: T, occurredAt: at, source: 'kyc', payload: { source: 'kyc', code: 'KYC4', ownerUserId: 'user_4', partnerId: null, active: true } });
    expect(await event(reg.id)).toMatchObject({ attribution: PENDING });
    await handlers.get('partner.changed')!({ id: 'fct_p1', type: 'partner.changed', tenantId: T, occurredAt: at, source: 'links', payload: { partner: { id: 'prt_4', externalId: 'user_4' } } });
    expect(await event(reg.id)).toMatchObject({ attribution: REFERRAL_CODE, partnerId: 'prt_4' });
    expect(await ds.getRepository(PartnerRef).countBy({ partnerId: 'prt_4' })).toBe(1);
  });

  it('the sweep settles an event committed after its code was applied, and gives up a code that never came after the window, with the signals after the code', async () => {
    const ua = 'Mozilla/5.0 test';
    const raced = await record({ eventType: EventType.REGISTRATION, email: 'd@example.com', referralCode: 'RACE5' });
    await addCode('race5', 'prt_race');
    const typo = await record({ eventType: EventType.REGISTRATION, email: 'e@example.com', referralCode: 'TYPO6', ip: '81.2.69.162', userAgent: ua });
    const storedAt = (await event(typo.id)).createdAt;
    await ds.getRepository(RecentClick).insert({ clickId: 'clk_6', tenantId: T, linkId: 'lnk_6', partnerId: 'prt_fp', fingerprint: fingerprint('81.2.69.162', ua)!, createdAt: new Date(typo.occurredAt.getTime() - 60_000) });

    // Before the window ends: only the raced event, whose code is now known.
    expect(await sweepPending(outbox, new Date(storedAt.getTime() + 167 * 3_600_000), 168)).toBe(1);
    expect(await event(raced.id)).toMatchObject({ attribution: REFERRAL_CODE, partnerId: 'prt_race' });
    expect(await event(typo.id)).toMatchObject({ attribution: PENDING });
    // At the end of the window: the fingerprint the code had beaten attributes it.
    expect(await sweepPending(outbox, new Date(storedAt.getTime() + 168 * 3_600_000), 168)).toBe(1);
    expect(await event(typo.id)).toMatchObject({ attribution: FINGERPRINT, partnerId: 'prt_fp', clickId: 'clk_6', linkId: 'lnk_6', pendingCode: null });
    expect(await trader(typo.traderId!)).toMatchObject({ partnerId: 'prt_fp', attribution: FINGERPRINT });
    expect(await sweepPending(outbox, new Date(storedAt.getTime() + 169 * 3_600_000), 168)).toBe(0);
    expect((await facts('event.attributed')).map((f) => f.payload.event.id)).toEqual([raced.id, typo.id]);
  });

  it('a code given up with nothing else to go on ends NONE, and its trader is no longer pending', async () => {
    const lone = await record({ eventType: EventType.REGISTRATION, email: 'f@example.com', referralCode: 'NEVER7' });
    const storedAt = (await event(lone.id)).createdAt;
    expect(await sweepPending(outbox, new Date(storedAt.getTime() + 168 * 3_600_000), 168)).toBe(1);
    expect(await event(lone.id)).toMatchObject({ attribution: NONE, partnerId: null, isConversion: false });
    expect(await trader(lone.traderId!)).toMatchObject({ partnerId: null, attribution: NONE });
  });

  it('two settlements of one code at once (the consumer and a sweep) settle each event once', async () => {
    const regs = [];
    for (const email of ['g1@example.com', 'g2@example.com', 'g3@example.com']) regs.push(await record({ eventType: EventType.REGISTRATION, email, referralCode: 'TWICE8' }));
    await addCode('twice8', 'prt_twice');
    const counts = await Promise.all([
      outbox.transaction((m, emit) => settlePendingCodes(m, emit, T, ['twice8'])),
      outbox.transaction((m, emit) => settlePendingCodes(m, emit, T, ['twice8'])),
      sweepPending(outbox, new Date(), 168),
    ]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(3);
    for (const r of regs) expect(await event(r.id)).toMatchObject({ attribution: REFERRAL_CODE, partnerId: 'prt_twice' });
    expect((await facts('event.attributed')).map((f) => f.payload.event.id).sort()).toEqual(regs.map((r) => r.id).sort());
  });
}

describe('pending attribution on SQLite', () => {
  defineSettlementTests(async () => {
    const { dataSource: ds, queries } = await openDataSource('events', { dataDir: ':memory:' }, all, migrations);
    return { ds, queries, close: () => ds.destroy() };
  });
});

describeWithPostgres('pending attribution on PostgreSQL', () => {
  defineSettlementTests(async () => {
    const db = await createDatabase('rgw_pending');
    const { dataSource: ds, queries } = await openDataSource('events', { databaseUrl: db.url, dataDir: '', poolSize: 10 }, all, migrations);
    return {
      ds,
      queries,
      close: async () => {
        await ds.destroy();
        await db.drop();
      },
    };
  });
});
