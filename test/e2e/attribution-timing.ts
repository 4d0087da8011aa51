import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { freePort, Proc, ready, run, Stack, startEmbedded, stopAll, waitFor } from '../helpers/harness';

const uid = () => randomBytes(4).toString('hex');
const CREATE_PARTNER = `mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id referralCode } }`;
const TRACK = `mutation($i: TrackEventInput!) { trackEvent(input: $i) { id attribution isConversion partner { id } trader { id attribution partner { id } } } }`;
const EVENT = `query($id: ID!) { event(id: $id) { id attribution isConversion partner { id } trader { id attribution partner { id } } } }`;

/**
 * Attribution by referral code must not depend on how fast the code's facts cross the bus:
 * a code used the moment it exists attributes, and one used before it exists is PENDING and
 * attributed exactly once when it appears. Run on both stacks; `embedded` adds the demo
 * code right after `npm start`, `distributed` a second events replica and a redelivered fact.
 */
export function defineAttributionTimingTests(stack: () => Stack, opts: { embedded?: boolean; distributed?: boolean } = {}): void {
  const gql = (q: string, v: Record<string, unknown> = {}) => stack().gql(q, v);
  async function ok(q: string, v: Record<string, unknown> = {}) {
    const res = await gql(q, v);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  }
  const metric = async (name: string, labels = '') => {
    const text = await (await fetch(new URL('/metrics', stack().subgraphUrls.events))).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
    return line ? Number(line.split(' ')[1]) : 0;
  };

  /** Ten partners created at once, each followed at once by a registration with its code. */
  async function tenAtOnce(label: string) {
    const runs = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const code = `${label}${uid()}${i}`;
        const partner = (await ok(CREATE_PARTNER, { i: { name: `Timing IB ${code}`, referralCode: code } })).createPartner;
        const email = `${code}@example.com`;
        const event = (await ok(TRACK, { i: { eventType: 'REGISTRATION', email, referralCode: code } })).trackEvent;
        return { partner, email, event };
      }),
    );
    for (const { partner, event } of runs) {
      expect({ attribution: event.attribution, partner: event.partner, trader: event.trader.partner, firstTouch: event.trader.attribution }).toEqual({
        attribution: 'REFERRAL_CODE',
        partner: { id: partner.id },
        trader: { id: partner.id },
        firstTouch: 'REFERRAL_CODE',
      });
    }
    // The first touch is kept: the trader's next event, with no code, goes to the same partner.
    for (const { partner, email } of runs.slice(0, 3)) {
      const next = (await ok(TRACK, { i: { eventType: 'FIRST_DEPOSIT', email, amount: '100', currency: 'USD' } })).trackEvent;
      expect({ attribution: next.attribution, partner: next.partner }).toEqual({ attribution: 'TRADER_FIRST_TOUCH', partner: { id: partner.id } });
    }
  }

  describe('attribution never depends on timing', () => {
    it('ten partners created at once, each followed at once by a registration with its code: all ten attributed by REFERRAL_CODE to their own partner', async () => {
      await tenAtOnce('now');
    });

    it('ten KYC referral codes created at once, each used at once: each attributes to the partner that owns it', async () => {
      const owner = `kyc_owner_${uid()}`;
      const partner = (await ok(CREATE_PARTNER, { i: { name: 'KYC timing IB', externalId: owner } })).createPartner;
      // Events learns the partner (its external id) first: the forex probe shows when.
      await waitFor('events to learn the partner', async () => {
        const probe = `probe_${uid()}`;
        await ok(`mutation($r: [ForexCustomerInput!]!) { upsertForexCustomers(records: $r) { accepted } }`, { r: [{ customerId: probe, signupDate: '2026-03-10T14:30:00Z', affiliateId: owner, trackingData: 'probe' }] });
        const t = await ok(`query($e: String) { traders(filter: { externalId: $e }) { nodes { partner { id } } } }`, { e: probe });
        return t.traders.nodes[0]?.partner?.id === partner.id ? true : undefined;
      }, [], 15_000);
      const events = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const code = `KYCNOW${uid()}${i}`.toUpperCase();
          await ok(`mutation($i: CreateReferralCodeInput!) { createReferralCode(input: $i) { id } }`, { i: { userId: owner, referralCode: code } });
          return (await ok(TRACK, { i: { eventType: 'REGISTRATION', email: `kyc-${uid()}@example.com`, referralCode: code.toLowerCase() } })).trackEvent;
        }),
      );
      expect(events.map((e) => ({ attribution: e.attribution, partner: e.partner }))).toEqual(Array(10).fill({ attribution: 'REFERRAL_CODE', partner: { id: partner.id } }));
    });

    it('a code that does not exist answers PENDING after the wait (not NONE), with no partner and no conversion, and is counted', async () => {
      const misses = await metric('attribution_code_misses_total');
      const pending = await metric('attribution_pending_total', '{waits_on="code"}');
      const event = (await ok(TRACK, { i: { eventType: 'REGISTRATION', email: `typo-${uid()}@example.com`, referralCode: `NOSUCH${uid()}` } })).trackEvent;
      expect(event).toMatchObject({ attribution: 'PENDING', isConversion: false, partner: null, trader: { attribution: 'PENDING', partner: null } });
      expect(await metric('attribution_code_misses_total')).toBe(misses + 1);
      expect(await metric('attribution_pending_total', '{waits_on="code"}')).toBe(pending + 1);
      expect(await metric('attribution_code_wait_seconds_count', '{outcome="timeout"}')).toBeGreaterThan(0);
    });

    describe('a registration whose code is created afterwards', () => {
      const code = `later${uid()}`;
      const product = `attr-timing-${uid()}`;
      const email = `later-${uid()}@example.com`;
      let eventId: string;
      let depositId: string;
      let partnerId: string;

      beforeAll(async () => {
        // A product plan pays the CPA whichever partner the event ends up with.
        await ok(`mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id } }`, {
          i: { name: `Timing CPA ${uid()}`, currency: 'USD', holdDays: 30, productId: product, rules: [{ kind: 'CPA', eventType: 'REGISTRATION', amount: '25' }] },
        });
      });

      it('is PENDING, and so is its trader and its next event without a code', async () => {
        const event = (await ok(TRACK, { i: { eventType: 'REGISTRATION', email, referralCode: code.toUpperCase(), productId: product } })).trackEvent;
        expect(event).toMatchObject({ attribution: 'PENDING', partner: null, isConversion: false, trader: { attribution: 'PENDING', partner: null } });
        eventId = event.id;
        const deposit = (await ok(TRACK, { i: { eventType: 'FIRST_DEPOSIT', email, amount: '50', currency: 'USD' } })).trackEvent;
        expect(deposit).toMatchObject({ attribution: 'PENDING', partner: null });
        depositId = deposit.id;
      });

      it('becomes REFERRAL_CODE once the partner with that code is created, with its trader first touch, and is paid once', async () => {
        const settled = await metric('attribution_settled_total', '{outcome="attributed"}');
        partnerId = (await ok(CREATE_PARTNER, { i: { name: 'Late code IB', referralCode: code } })).createPartner.id;
        const event = await waitFor('the event to be attributed', async () => {
          const e = (await ok(EVENT, { id: eventId })).event;
          return e.attribution === 'PENDING' ? undefined : e;
        }, [], 20_000);
        expect(event).toMatchObject({ attribution: 'REFERRAL_CODE', isConversion: true, partner: { id: partnerId }, trader: { attribution: 'REFERRAL_CODE', partner: { id: partnerId } } });
        // The deposit waited on the trader's first touch: it follows it.
        expect((await ok(EVENT, { id: depositId })).event).toMatchObject({ attribution: 'TRADER_FIRST_TOUCH', partner: { id: partnerId } });
        expect(await metric('attribution_settled_total', '{outcome="attributed"}')).toBe(settled + 2);
        const commissions = `query($id: ID!) { partner(id: $id) { commissions(first: 10) { totalCount nodes { kind amount event { id } } } } }`;
        const ofEvent = async () => (await ok(commissions, { id: partnerId })).partner.commissions.nodes.filter((c: any) => c.event?.id === eventId);
        const paid = await waitFor('the settled event to be paid', async () => ((await ofEvent()).length ? ofEvent() : undefined), [], 20_000);
        expect(paid).toEqual([{ kind: 'CPA', amount: '25.00', event: { id: eventId } }]);
      });

      if (opts.distributed) {
        it('a second delivery of the code fact through Redis changes nothing', async () => {
          const env = stack().env!;
          const db = new Client({ connectionString: env.DATABASE_URL });
          const redis = new Redis(env.REDIS_URL);
          await db.connect();
          try {
            const rows = await db.query(`SELECT body FROM links.outbox WHERE type = 'referral_code.changed' AND body LIKE $1`, [`%"code":"${code}"%`]);
            expect(rows.rows).toHaveLength(1);
            const stream = `${env.REDIS_KEY_PREFIX}facts:referral_code.changed`;
            const entry = await redis.xadd(stream, '*', 'f', rows.rows[0].body);
            await waitFor('the events consumer to take the redelivered fact', async () => {
              const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
              const group = groups.map((g) => Object.fromEntries(Array.from({ length: g.length / 2 }, (_, i) => [g[2 * i], g[2 * i + 1]]))).find((g) => g.name === 'events.referral-codes');
              return group && group['last-delivered-id'] === entry && Number(group.pending) === 0 ? true : undefined;
            }, [], 15_000);
            const attributed = await db.query(`SELECT count(*)::int AS n FROM events.outbox WHERE type = 'event.attributed' AND body LIKE $1`, [`%"id":"${eventId}"%`]);
            expect(attributed.rows[0].n).toBe(1);
            expect((await ok(EVENT, { id: eventId })).event).toMatchObject({ attribution: 'REFERRAL_CODE', partner: { id: partnerId } });
            const c = await ok(`query($id: ID!) { partner(id: $id) { commissions(first: 10) { nodes { event { id } } } } }`, { id: partnerId });
            expect(c.partner.commissions.nodes.filter((n: any) => n.event?.id === eventId)).toHaveLength(1);
          } finally {
            await db.end();
            redis.disconnect();
          }
        });
      }
    });

    if (opts.distributed) {
      describe('with a second events replica taking half the code facts', () => {
        const extra: Proc[] = [];
        beforeAll(async () => {
          const port = await freePort();
          extra.push(run('events-2', 'subgraphs/events/src/index.js', { ...stack().env!, EVENTS_PORT: String(port) }));
          await waitFor('second events /readyz', () => ready(`http://127.0.0.1:${port}/readyz`), extra);
        }, 60_000);
        afterAll(async () => {
          expect(await stopAll(extra)).toEqual([0]);
        }, 30_000);

        it('ten partners at once, each followed at once by a registration with its code: still all ten REFERRAL_CODE to their own partner', async () => {
          await tenAtOnce('two');
        });
      });
    }

    if (opts.embedded) {
      it('the demo partner code attributes a registration sent the moment npm start is ready', async () => {
        const fresh = await startEmbedded();
        try {
          const res = await fresh.gql(TRACK, { i: { eventType: 'REGISTRATION', email: `demo-${uid()}@example.com`, referralCode: 'demo' } });
          expect(res.body.errors).toBeUndefined();
          expect(res.body.data.trackEvent).toMatchObject({ attribution: 'REFERRAL_CODE', partner: { id: expect.stringMatching(/^prt_/) } });
        } finally {
          await fresh.stop();
        }
      }, 90_000);
    }
  });
}
