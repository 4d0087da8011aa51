import { GraphQLError } from 'graphql';
import { DataSource } from 'typeorm';
import { configureLogger, Fact, newId, openDataSource, Outbox, SubgraphRuntime } from '../../subgraphs/shared/src';
import { MemoryBus } from '../../subgraphs/shared/src/bus/memory-bus';
import { MemoryPubSub } from '../../subgraphs/shared/src/bus/pubsub';
import { entities } from '../../subgraphs/commissions/src/server';
import { migrations } from '../../subgraphs/commissions/src/migrations';
import { appendChange, CHANGE_LOG_GROUP, startChangeLogConsumer } from '../../subgraphs/commissions/src/consumers/change-log';
import { asOfChange, decodeChangeCursor, encodeChangeCursor, parseSnapshot, readChangeFact, snapshotText, visibleKinds } from '../../subgraphs/commissions/src/domain/change-log';
import { CommissionChangeRow } from '../../subgraphs/commissions/src/entities/commission-change.entity';
import { Commission } from '../../subgraphs/commissions/src/entities/commission.entity';
import { changeChannel, changeStream, LiveChange } from '../../subgraphs/commissions/src/live/change-stream';
import { commissionPostbackBody, commissionPostbackType, readCommissionChange } from '../../subgraphs/events/src/domain/commission-postbacks';
import { subscribed } from '../../subgraphs/events/src/services/postbacks';
import { PostbackEndpoint } from '../../subgraphs/events/src/entities/postback.entity';

/**
 * Referrer notifications: what a commission.changed fact becomes in the change log (once,
 * at a per-tenant position), how the log streams (replay, then live, confined), and which
 * postback endpoints a change goes to.
 */
beforeAll(() => configureLogger('silent'));

const payload = (change: string, c: Record<string, unknown> = {}) => ({
  change,
  commission: { id: 'com_1', partnerId: 'prt_a', eventId: 'evt_1', traderId: 'trd_1', kind: 'CPA', tier: 0, amount: '20.00', currency: 'USD', status: 'PENDING', holdUntil: '2026-03-14', ...c },
});

describe('the change log rules', () => {
  it('a fact is read defensively: the change upper-cased, payloads without a commission refused', () => {
    expect(readChangeFact(payload('created'))).toMatchObject({ change: 'CREATED', commission: { id: 'com_1', partnerId: 'prt_a' } });
    expect(readChangeFact({ change: 'paid', commission: { id: 'com_1' } })).toBeNull();
    expect(readChangeFact({ commission: { id: 'com_1', partnerId: 'prt_a' } })).toBeNull();
    expect(readChangeFact(null)).toBeNull();
    // Fields the producer adds later pass through.
    expect(readChangeFact(payload('approved', { dueAt: '2026-03-14T20:33:00.000Z', planVersion: 2 }))?.commission).toMatchObject({ dueAt: '2026-03-14T20:33:00.000Z', planVersion: 2 });
  });

  it('a CREATED change logged after the commission was paid still shows it as it was: PENDING, not approved, not paid', () => {
    const occurredAt = new Date('2026-03-12T10:00:00.000Z');
    const paidRow = {
      id: 'com_1', tenantId: 'ten_x', partnerId: 'prt_a', kind: 'CPA', tier: 0, amountMinor: '2000', currency: 'USD', status: 'PAID',
      createdAt: occurredAt, occurredAt, approvedAt: new Date('2026-03-14T10:00:00.000Z'), paidAt: new Date('2026-03-15T10:00:00.000Z'),
      reversedAt: null, reversalReason: null, fxRate: '1.085', baseAmount: '200.00',
    };
    const created = asOfChange(paidRow, payload('created').commission, { tenantId: 'ten_x', occurredAt });
    expect(created).toMatchObject({ status: 'PENDING', approvedAt: null, paidAt: null, amountMinor: '2000', fxRate: '1.085', createdAt: occurredAt });
    const approved = asOfChange(paidRow, payload('approved', { status: 'APPROVED' }).commission, { tenantId: 'ten_x', occurredAt });
    expect(approved).toMatchObject({ status: 'APPROVED', approvedAt: paidRow.approvedAt, paidAt: null });
  });

  it("an adjustment keeps its reason and its negative amount; the fact's amount and dueAt win over the row", () => {
    const at = new Date('2026-03-20T00:00:00.000Z');
    const adj = asOfChange(
      { id: 'com_2', sourceKey: 'adj:com_1', amountMinor: '-2000', currency: 'USD', status: 'APPROVED', reversalReason: 'refund evt_9', reversedAt: null },
      { id: 'com_2', partnerId: 'prt_a', amount: '-20.00', currency: 'USD', status: 'APPROVED', dueAt: '2026-03-20T00:00:00.000Z' },
      { tenantId: 'ten_x', occurredAt: at },
    );
    expect(adj).toMatchObject({ amountMinor: '-2000', reversalReason: 'refund evt_9', dueAtColumn: at, tenantId: 'ten_x' });
    const jpy = asOfChange(null, { id: 'com_3', partnerId: 'prt_a', amount: '1500', currency: 'JPY', status: 'PENDING' }, { tenantId: 'ten_x', occurredAt: at });
    expect(jpy).toMatchObject({ amountMinor: '1500', currency: 'JPY', createdAt: at, occurredAt: at });
  });

  it('a snapshot keeps its dates as dates through JSON', () => {
    const at = new Date('2026-03-12T10:00:00.123Z');
    const back = parseSnapshot(snapshotText({ createdAt: at, approvedAt: null, amountMinor: '2000', nested: { $date: 'not alone', x: 1 } }));
    expect(back.createdAt).toEqual(at);
    expect(back.approvedAt).toBeNull();
    expect(back.nested).toEqual({ $date: 'not alone', x: 1 });
  });

  it('cursors round-trip; anything else is BAD_USER_INPUT on the argument', () => {
    expect(decodeChangeCursor(encodeChangeCursor(42))).toBe(42);
    expect(decodeChangeCursor(encodeChangeCursor('0'))).toBe(0);
    const err = (() => {
      try {
        decodeChangeCursor('nope');
      } catch (e) {
        return e as GraphQLError;
      }
    })();
    expect(err?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'after' });
    // An event cursor is not a change cursor.
    expect(() => decodeChangeCursor(Buffer.from('evp:3').toString('base64url'))).toThrow(/CommissionChange.cursor/);
  });

  it('only kinds the API knows are shown, and a filter narrows them', () => {
    expect(visibleKinds(null)).toEqual(['CREATED', 'APPROVED', 'REVERSED', 'ADJUSTED', 'PAID']);
    expect(visibleKinds(['PAID', 'SETTLED'])).toEqual(['PAID']);
  });
});

describe('commission postbacks', () => {
  const endpoint = (eventTypes: string[]) => ({ eventTypes }) as PostbackEndpoint;

  it('commission types are opt-in: "*" covers every event type and none of them', () => {
    for (const type of ['COMMISSION_CREATED', 'COMMISSION_APPROVED', 'COMMISSION_REVERSED', 'COMMISSION_ADJUSTED', 'COMMISSION_PAID']) {
      expect(subscribed(endpoint(['*']), type)).toBe(false);
      expect(subscribed(endpoint([type]), type)).toBe(true);
      expect(subscribed(endpoint(['*', type]), type)).toBe(true);
    }
    expect(subscribed(endpoint(['*']), 'FIRST_DEPOSIT')).toBe(true);
    expect(subscribed(endpoint(['COMMISSION_CREATED']), 'FIRST_DEPOSIT')).toBe(false);
    expect(subscribed(endpoint(['COMMISSION_CREATED']), 'COMMISSION_PAID')).toBe(false);
  });

  it('a change maps to its type; one without a type is not delivered', () => {
    expect(commissionPostbackType('created')).toBe('COMMISSION_CREATED');
    expect(commissionPostbackType('adjusted')).toBe('COMMISSION_ADJUSTED');
    expect(commissionPostbackType('settled')).toBeNull();
    expect(readCommissionChange({ change: 'settled', commission: { id: 'c', partnerId: 'p' } })).toBeNull();
    expect(readCommissionChange({ change: 'paid', commission: { id: 'c' } })).toBeNull();
  });

  it('the body is the event postbacks envelope with the commission as data', () => {
    const read = readCommissionChange(payload('created', { dueAt: '2026-03-14T10:00:00.000Z', internal: 'x' }))!;
    const body = JSON.parse(commissionPostbackBody('msg_fct_1_pbe_1', read.type, '2026-03-12T10:00:00.000Z', read.commission));
    expect(body).toEqual({
      id: 'msg_fct_1_pbe_1',
      type: 'commission.created',
      timestamp: '2026-03-12T10:00:00.000Z',
      data: { id: 'com_1', partnerId: 'prt_a', eventId: 'evt_1', traderId: 'trd_1', kind: 'CPA', tier: 0, amount: '20.00', currency: 'USD', status: 'PENDING', holdUntil: '2026-03-14', dueAt: '2026-03-14T10:00:00.000Z', planVersion: null },
    });
  });
});

describe('the change log consumer and stream (SQLite, in-process bus and pub/sub)', () => {
  let ds: DataSource;
  let bus: MemoryBus;
  let pubsub: MemoryPubSub;
  let outbox: Outbox;
  const live: LiveChange[] = [];

  beforeAll(async () => {
    ({ dataSource: ds } = await openDataSource('commissions', { dataDir: ':memory:' }, entities, migrations));
    bus = new MemoryBus();
    pubsub = new MemoryPubSub();
    outbox = new Outbox(ds, 'commissions');
    // The consumer as the commissions service starts it, on real (in-process) infrastructure.
    const runtime = { consume: (o: Parameters<MemoryBus['consume']>[0]) => bus.consume(o), outbox, dataSource: ds, pubsub } as unknown as SubgraphRuntime;
    startChangeLogConsumer(runtime);
    await pubsub.subscribe(changeChannel('ten_a'), (m) => live.push(m as LiveChange));
  });
  afterAll(async () => {
    await bus?.close();
    await pubsub?.close();
    await ds?.destroy();
  });

  const fact = (tenantId: string, change: string, c: Record<string, unknown> = {}): Fact => ({
    id: newId('fct'),
    type: 'commission.changed',
    tenantId,
    occurredAt: new Date().toISOString(),
    source: 'commissions',
    payload: payload(change, c),
  });
  const rows = (tenantId: string) => ds.getRepository(CommissionChangeRow).find({ where: { tenantId }, order: { position: 'ASC' } });
  async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
    for (let i = 0; i < 500; i++) {
      const v = await check();
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it('a redelivered fact writes one row, and its live message is published again with the same position', async () => {
    const f = fact('ten_a', 'created');
    await bus.publish(f);
    await until('the row', async () => ((await rows('ten_a')).length === 1 ? true : undefined));
    await bus.publish(f);
    await until('the second publication', () => (live.length === 2 ? true : undefined));
    expect(await rows('ten_a')).toHaveLength(1);
    expect(live.map((m) => [m.position, m.change.factId, m.change.change])).toEqual([
      [1, f.id, 'CREATED'],
      [1, f.id, 'CREATED'],
    ]);
    // Applying the fact directly once more changes nothing either (the inbox is keyed by the fact).
    expect(await outbox.consume(CHANGE_LOG_GROUP, f, async (m) => void (await appendChange(m, f)))).toBe(false);
    expect(await rows('ten_a')).toHaveLength(1);
  });

  it('positions count up per tenant, in the order changes are logged', async () => {
    for (const [tenant, change] of [['ten_b', 'created'], ['ten_c', 'created'], ['ten_b', 'approved'], ['ten_b', 'paid']]) await bus.publish(fact(tenant, change, { status: change.toUpperCase() }));
    await until('four rows', async () => ((await rows('ten_b')).length === 3 && (await rows('ten_c')).length === 1 ? true : undefined));
    expect((await rows('ten_b')).map((r) => [r.position, r.change].join(' '))).toEqual(['1 CREATED', '2 APPROVED', '3 PAID']);
    expect((await rows('ten_c')).map((r) => String(r.position))).toEqual(['1']);
  });

  it('the row keeps the commission as the change left it, from the stored commission', async () => {
    const now = new Date();
    await ds.getRepository(Commission).insert({
      id: 'com_stored', tenantId: 'ten_d', partnerId: 'prt_a', sourceKey: 'evt_s', eventId: 'evt_s', traderId: null, planId: null, kind: 'REVSHARE', tier: 0, ruleIndex: 1,
      baseAmount: '200.00', amountMinor: '4000', currency: 'USD', fxRate: '1.085', eventAmount: '184.33', eventCurrency: 'EUR', status: 'PAID', holdUntil: '2026-01-01',
      occurredAt: now, createdAt: now, approvedAt: now, reversedAt: null, reversalReason: null, paidAt: now,
    } as Partial<Commission>);
    await bus.publish(fact('ten_d', 'created', { id: 'com_stored', kind: 'REVSHARE', amount: '40.00', status: 'PENDING' }));
    const [row] = await until('the row', async () => ((await rows('ten_d')).length ? rows('ten_d') : undefined));
    const c = Object.assign(new Commission(), parseSnapshot(row.commission));
    expect([c.status, c.amount(), c.currency, c.fxRate, c.baseAmount, c.approvedAt, c.paidAt]).toEqual(['PENDING', '40.00', 'USD', '1.085', '200.00', null, null]);
    expect(c.createdAt).toEqual(now);
  });

  it('a stream replays what came after its cursor, then continues live, with the partner and kind filters on both', async () => {
    const t = 'ten_stream';
    const logged = async (n: number) => until(`${n} rows`, async () => ((await rows(t)).length === n ? rows(t) : undefined));
    await bus.publish(fact(t, 'created', { partnerId: 'prt_mine' }));
    await bus.publish(fact(t, 'created', { partnerId: 'prt_other' }));
    await bus.publish(fact(t, 'approved', { partnerId: 'prt_mine', status: 'APPROVED' }));
    await bus.publish(fact(t, 'settled', { partnerId: 'prt_mine' })); // a kind the API does not know: logged, not shown
    const [first] = await logged(4);
    const stream = changeStream({ ds, live: { pubsub, bufferLimit: 100 }, tenantId: t, filter: { partnerId: 'prt_mine', changes: null }, afterPosition: Number(first.position) });
    const next = async () => (await stream.next()).value;
    expect((await next()).change).toBe('APPROVED');
    const paid = stream.next();
    await bus.publish(fact(t, 'paid', { partnerId: 'prt_other', status: 'PAID' }));
    await bus.publish(fact(t, 'paid', { partnerId: 'prt_mine', status: 'PAID' }));
    const got = (await paid).value;
    expect([got.change, got.commission.partnerId, got.commission.status]).toEqual(['PAID', 'prt_mine', 'PAID']);
    expect(decodeChangeCursor(got.cursor)).toBe(6);
    await stream.return(undefined);

    const onlyPaid = changeStream({ ds, live: { pubsub, bufferLimit: 100 }, tenantId: t, filter: { partnerId: null, changes: ['PAID'] }, afterPosition: 0 });
    const a = (await onlyPaid.next()).value;
    const b = (await onlyPaid.next()).value;
    expect([a.commission.partnerId, b.commission.partnerId]).toEqual(['prt_other', 'prt_mine']);
    await onlyPaid.return(undefined);
  });
});
