import { configureLogger } from '../../subgraphs/shared/src';
import { MemoryPubSub } from '../../subgraphs/shared/src/bus/pubsub';
import { attribute, AttributionSignals, pendingExpired, recheckSchedule } from '../../subgraphs/events/src/domain/attribute';
import { AttributionMethod } from '../../subgraphs/events/src/domain/event-types';
import { CodeWaiters } from '../../subgraphs/events/src/services/attribution-wait';

/** The decision between a code, a wait and PENDING, and the wait itself (settlement: test/integration/pending-attribution.test.ts). */

beforeAll(() => configureLogger('silent'));

const { CLICK_ID, REFERRAL_CODE, TRADER_FIRST_TOUCH, FINGERPRINT, PENDING, NONE } = AttributionMethod;

describe('the attribution decision', () => {
  it.each<[string, AttributionSignals, AttributionMethod, string | null]>([
    ['a click beats a code not known yet', { clickPartnerId: 'p_click', codePending: true }, CLICK_ID, 'p_click'],
    ['a known code attributes, whatever else is pending', { codePartnerId: 'p_code', codePending: false, traderPending: true }, REFERRAL_CODE, 'p_code'],
    ['a code not known yet holds its place: PENDING, not the first touch it would beat', { codePending: true, traderPartnerId: 'p_trader' }, PENDING, null],
    ['a code not known yet holds its place: PENDING, not a fingerprint', { codePending: true, fingerprintPartnerId: 'p_fp' }, PENDING, null],
    ['a code not known yet and nothing else: PENDING, not NONE', { codePending: true }, PENDING, null],
    ['a trader whose first touch waits on a code: its event waits too', { traderPending: true, fingerprintPartnerId: 'p_fp' }, PENDING, null],
    ['a trader with a first touch is not pending', { traderPartnerId: 'p_trader', traderPending: false }, TRADER_FIRST_TOUCH, 'p_trader'],
    ['a fingerprint when nothing waits', { fingerprintPartnerId: 'p_fp' }, FINGERPRINT, 'p_fp'],
    ['nothing at all: NONE', {}, NONE, null],
  ])('%s', (_name, signals, method, partnerId) => {
    expect(attribute(signals)).toEqual({ method, partnerId });
  });

  it.each<[number, number[]]>([
    [0, []],
    [40, [40]],
    [100, [50, 100]],
    [2000, [50, 150, 350, 750, 1250, 1750, 2000]],
  ])('a wait of %i ms looks at the code again at %j ms', (waitMs, schedule) => {
    expect(recheckSchedule(waitMs)).toEqual(schedule);
  });

  it.each<[string, string, boolean]>([
    ['2026-03-12T10:00:00.000Z', '2026-03-19T09:59:59.999Z', false],
    ['2026-03-12T10:00:00.000Z', '2026-03-19T10:00:00.000Z', true],
  ])('a PENDING event stored at %s is given up at %s (168 h): %s', (stored, now, expired) => {
    expect(pendingExpired(new Date(stored), new Date(now), 168)).toBe(expired);
  });
});

describe('waiting for a code', () => {
  it('a waiter is woken by the consumer of its own process, and one on another replica through the pub/sub', async () => {
    const pubsub = new MemoryPubSub();
    const here = new CodeWaiters(pubsub);
    const there = new CodeWaiters(pubsub);
    await here.start();
    await there.start();
    try {
      let known = false;
      const check = async () => known;
      // A minute-long wait would fail the test by its timeout: the wake-up is what ends it.
      const local = here.waitFor('ten_a', 'code1', 60_000, check);
      const remote = there.waitFor('ten_a', 'code1', 60_000, check);
      const other = there.waitFor('ten_a', 'code2', 100, async () => false);
      await new Promise((r) => setImmediate(r));
      known = true;
      here.applied('ten_a', ['code1']);
      await expect(Promise.all([local, remote, other])).resolves.toEqual([true, true, false]);
      expect(here.size + there.size).toBe(0);
    } finally {
      await here.stop();
      await there.stop();
      await pubsub.close();
    }
  });

  it('a waiter that no notification reaches finds the code by looking again on its schedule', async () => {
    const waiters = new CodeWaiters(null);
    let looks = 0;
    await expect(waiters.waitFor('ten_a', 'code1', 60_000, async () => ++looks >= 3)).resolves.toBe(true);
    expect(looks).toBe(3);
  });

  it('a code that never comes ends the wait with false', async () => {
    const waiters = new CodeWaiters(null);
    await expect(waiters.waitFor('ten_a', 'nope', 120, async () => false)).resolves.toBe(false);
  });
});
