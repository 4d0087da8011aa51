import { DataSource } from 'typeorm';
import { configureLogger, openDataSource, OutboxEntry, ProcessedFact } from '../../subgraphs/shared/src';
import { MemoryPubSub } from '../../subgraphs/shared/src/bus/pubsub';
import { AttributionMethod, EventType } from '../../subgraphs/events/src/domain/event-types';
import { ForexTransaction, TradingActivityDay } from '../../subgraphs/events/src/entities/forex.entity';
import { PartnerPlanModel, PlanModel, RecentClick, TenantSettings } from '../../subgraphs/events/src/entities/read-models.entity';
import { PartnerRef, ReferralCodeOwner } from '../../subgraphs/events/src/entities/referral-code-owner.entity';
import { ReferralEvent } from '../../subgraphs/events/src/entities/referral-event.entity';
import { PostbackDelivery, PostbackEndpoint } from '../../subgraphs/events/src/entities/postback.entity';
import { Trader } from '../../subgraphs/events/src/entities/trader.entity';
import { conversionStream, liveChannel, LiveMessage } from '../../subgraphs/events/src/live/stream';
import { migrations } from '../../subgraphs/events/src/migrations';

const TENANT = 'ten_live';

/**
 * The live stream's promises: replay then live with no gap and no repeat, holes in live
 * positions filled from the database, filters on both paths, and a bounded buffer.
 */
describe('conversion stream', () => {
  let ds: DataSource;
  let pubsub: MemoryPubSub;
  let position = 0;

  beforeAll(async () => {
    configureLogger('silent');
    ({ dataSource: ds } = await openDataSource(
      'events',
      { dataDir: ':memory:' },
      [ReferralEvent, Trader, ReferralCodeOwner, PartnerRef, RecentClick, TenantSettings, ForexTransaction, TradingActivityDay, PlanModel, PartnerPlanModel, PostbackEndpoint, PostbackDelivery, OutboxEntry, ProcessedFact],
      migrations,
    ));
    pubsub = new MemoryPubSub();
  });
  afterAll(async () => {
    await pubsub.close();
    await ds.destroy();
  });

  /** Commits an event; `publish` false leaves its live message for the test to send (or not). */
  async function commit(partnerId: string, publish = true): Promise<LiveMessage> {
    position++;
    const now = new Date();
    const e = {
      id: `evt_${String(position).padStart(26, '0')}`,
      tenantId: TENANT,
      eventType: EventType.REGISTRATION,
      partnerId,
      traderId: null,
      position: String(position),
      attribution: AttributionMethod.REFERRAL_CODE,
      isConversion: true,
      isDuplicate: false,
      occurredAt: now,
      createdAt: now,
    };
    await ds.getRepository(ReferralEvent).insert(e);
    const message: LiveMessage = { position, event: { ...e, timestamp: now.toISOString() } };
    if (publish) await pubsub.publish(liveChannel(TENANT), message);
    return message;
  }

  function open(after: number | null, filter = {}, bufferLimit = 1000) {
    const stream = conversionStream({ ds, pubsub, tenantId: TENANT, filter, afterPosition: after, bufferLimit });
    const next = async () => (await stream.next()).value as ReferralEvent;
    return { stream, next };
  }

  it('without after, only events committed from now on arrive', async () => {
    const before = await commit('prt_a');
    const s = open(null);
    const first = s.next();
    let received: ReferralEvent | undefined;
    void first.then((e) => (received = e));
    // Commit until the stream has subscribed and delivers one (polling, not a fixed wait).
    const after: string[] = [];
    while (!received) {
      after.push((await commit('prt_a')).event.id);
      await new Promise((r) => setImmediate(r));
    }
    expect(received.id).not.toBe(before.event.id);
    expect(after).toContain(received.id);
    await s.stream.return(undefined);
  });

  it('with after, it replays what was missed, then continues live without repeating or skipping', async () => {
    const start = position;
    const missed = [await commit('prt_a'), await commit('prt_b'), await commit('prt_a')];
    const s = open(start);
    const got: string[] = [];
    for (let i = 0; i < 3; i++) got.push((await s.next()).id);
    expect(got).toEqual(missed.map((m) => m.event.id));
    // A late copy of a replayed event's message is dropped; the next new one arrives.
    await pubsub.publish(liveChannel(TENANT), missed[2]);
    const live = await commit('prt_b');
    expect((await s.next()).id).toBe(live.event.id);
    await s.stream.return(undefined);
  });

  it('a live message arriving before an earlier one fills the hole from the database, in order', async () => {
    const s = open(position);
    const pending = s.next();
    await new Promise((r) => setTimeout(r, 20));
    const a = await commit('prt_a', false);
    const b = await commit('prt_a', false);
    await pubsub.publish(liveChannel(TENANT), b);
    expect((await pending).id).toBe(a.event.id);
    expect((await s.next()).id).toBe(b.event.id);
    await pubsub.publish(liveChannel(TENANT), a);
    const c = await commit('prt_a');
    expect((await s.next()).id).toBe(c.event.id);
    await s.stream.return(undefined);
  });

  it('filters apply to the replay, to live events and to filled holes', async () => {
    const start = position;
    await commit('prt_other');
    const mine = await commit('prt_mine');
    const s = open(start, { partnerId: 'prt_mine' });
    expect((await s.next()).id).toBe(mine.event.id);
    const hidden = await commit('prt_other', false);
    const mine2 = await commit('prt_mine');
    expect((await s.next()).id).toBe(mine2.event.id);
    await pubsub.publish(liveChannel(TENANT), hidden);
    const mine3 = await commit('prt_mine');
    expect((await s.next()).id).toBe(mine3.event.id);
    await s.stream.return(undefined);
  });

  it('a subscriber that does not read is cut off with SUBSCRIBER_TOO_SLOW once its buffer is full', async () => {
    const s = open(position, {}, 3);
    const pending = s.next();
    await new Promise((r) => setTimeout(r, 20));
    const first = await commit('prt_a');
    expect((await pending).id).toBe(first.event.id);
    for (let i = 0; i < 6; i++) await commit('prt_a');
    await new Promise((r) => setTimeout(r, 20));
    const drained: string[] = [];
    await expect(
      (async () => {
        for (;;) drained.push((await s.next()).id);
      })(),
    ).rejects.toMatchObject({ extensions: { code: 'SUBSCRIBER_TOO_SLOW' } });
    expect(drained.length).toBeLessThanOrEqual(3);
  });
});
