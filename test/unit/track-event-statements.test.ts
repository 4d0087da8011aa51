import { configureLogger, Emit } from '../../subgraphs/shared/src';
import { openDataSource } from '../../subgraphs/shared/src/data-source';
import { AttributionMethod, EventType } from '../../subgraphs/events/src/domain/event-types';
import { ReferralCodeOwner } from '../../subgraphs/events/src/entities/referral-code-owner.entity';
import { Trader } from '../../subgraphs/events/src/entities/trader.entity';
import { entities } from '../../subgraphs/events/src/server';
import { migrations } from '../../subgraphs/events/src/migrations';
import { recordEvent } from '../../subgraphs/events/src/services/track-event';

/** The statements one recorded event costs the events database (ingestion's hot path). */
beforeAll(() => configureLogger('silent'));

describe('recording an event', () => {
  const emit = (() => ({})) as unknown as Emit;
  const opts = { source: 'api' as const, clickIdSecrets: ['s'.repeat(32)] };

  it('stores a new trader with its first touch and asks no duplicate question; a found trader is asked', async () => {
    const { dataSource: ds, queries } = await openDataSource('events', { dataDir: ':memory:' }, entities, migrations);
    try {
      await ds.getRepository(ReferralCodeOwner).insert({ tenantId: 'ten_a', codeKey: 'bench1', source: 'links', code: 'BENCH1', partnerId: 'prt_a', ownerUserId: null, active: true, updatedAt: new Date() });
      const record = async (email: string, referralCode?: string) => {
        const start = queries.count;
        const event = await ds.transaction((m) => recordEvent(m, emit, 'ten_a', { eventType: EventType.REGISTRATION, email, referralCode }, opts));
        return { event, statements: queries.statements.slice(-(queries.count - start)) };
      };
      const duplicateQuestion = (sql: string) => /COUNT\(/i.test(sql) && /"events"/.test(sql);
      const traderUpdate = (sql: string) => /^UPDATE "traders"/i.test(sql);

      const first = await record('new@example.com', 'BENCH1');
      expect(first.event).toMatchObject({ isDuplicate: false, partnerId: 'prt_a', attribution: AttributionMethod.REFERRAL_CODE });
      expect(first.statements.filter(duplicateQuestion)).toHaveLength(0);
      expect(first.statements.filter(traderUpdate)).toHaveLength(0);
      expect(await ds.getRepository(Trader).findOneByOrFail({ id: first.event.traderId! })).toMatchObject({ partnerId: 'prt_a', attribution: AttributionMethod.REFERRAL_CODE });

      // The same trader again: found (case-insensitively), asked, and its first touch kept.
      const again = await record('NEW@example.com');
      expect(again.event).toMatchObject({ traderId: first.event.traderId, isDuplicate: true, partnerId: 'prt_a', attribution: AttributionMethod.TRADER_FIRST_TOUCH });
      expect(again.statements.filter(duplicateQuestion)).toHaveLength(1);

      // A new trader with no partner: stored without one, nothing updated.
      const plain = await record('nobody@example.com');
      expect(plain.event).toMatchObject({ isDuplicate: false, partnerId: null, attribution: AttributionMethod.NONE });
      expect(plain.statements.filter(traderUpdate)).toHaveLength(0);
    } finally {
      await ds.destroy();
    }
  });
});
