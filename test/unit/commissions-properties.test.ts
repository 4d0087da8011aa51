import fc from 'fast-check';
import { configureLogger, EventType, minorDigits, newId } from '../../subgraphs/shared/src';
import { computeCommissions, Plan, Rule } from '../../subgraphs/commissions/src/domain/compute';
import { fxTable } from '../../subgraphs/commissions/src/domain/fx';
import { refundEffect, refundShareMinor } from '../../subgraphs/commissions/src/domain/refunds';
import { CommissionsHarness, EventRep, eventRecorded, openCommissions } from '../helpers/commissions-harness';

/** Properties of the commission domain, checked on generated plans, payments and refunds (fast-check). */
beforeAll(() => configureLogger('silent'));

const NO_FX = fxTable({});
const CHAIN = ['prt_a', 'prt_b', 'prt_c', 'prt_d'];
const PAYMENTS = [EventType.FIRST_DEPOSIT, EventType.RECURRING_DEPOSIT, EventType.SUBSCRIPTION];

/** A decimal string with at most `places` decimal places, from an integer of scaled units. */
function decimal(units: bigint, places: number): string {
  const neg = units < 0n;
  const s = (neg ? -units : units).toString().padStart(places + 1, '0');
  const text = places ? `${s.slice(0, -places)}.${s.slice(-places)}` : s;
  return neg ? `-${text}` : text;
}

const percent = fc.bigInt({ min: 0n, max: 100_000_000n }).map((u) => decimal(u, 6)); // 0-100 with up to 6 places
const currency = fc.constantFrom('USD', 'JPY', 'BHD');
const ruleArb = (cur: string): fc.Arbitrary<Rule> =>
  fc.oneof(
    fc.record({
      kind: fc.constant<'CPA'>('CPA'),
      eventType: fc.constantFrom(...PAYMENTS, EventType.REGISTRATION),
      amount: fc.bigInt({ min: 0n, max: 10n ** 9n }).map((u) => decimal(u, minorDigits(cur))),
      minAmount: fc.option(fc.bigInt({ min: 0n, max: 10n ** 7n }).map((u) => decimal(u, minorDigits(cur))), { nil: null }),
      tierRates: fc.array(percent, { maxLength: 3 }),
    }),
    fc.record({
      kind: fc.constant<'REVSHARE'>('REVSHARE'),
      eventType: fc.option(fc.constantFrom(...PAYMENTS), { nil: null }),
      percentage: percent,
      tierRates: fc.array(percent, { maxLength: 3 }),
    }),
  );
const scenario = currency.chain((cur) =>
  fc.record({
    currency: fc.constant(cur),
    rules: fc.array(ruleArb(cur), { minLength: 1, maxLength: 4 }),
    eventType: fc.constantFrom(...PAYMENTS, EventType.REGISTRATION),
    amountUnits: fc.bigInt({ min: 0n, max: 10n ** 12n }),
    isDuplicate: fc.boolean(),
  }),
);

/** Half-even division of non-negative integers. */
function divHalfEven(n: bigint, d: bigint): bigint {
  const q = n / d;
  const r = n % d;
  if (2n * r > d || (2n * r === d && q % 2n === 1n)) return q + 1n;
  return q;
}

const units = (text: string, places: number) => {
  const [int, frac = ''] = text.split('.');
  return BigInt(int + frac.padEnd(places, '0').slice(0, places));
};

describe('commission domain properties', () => {
  it('no negative (and no zero) commission from a non-negative payment', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const plan: Plan = { id: 'cpl', currency: s.currency, holdDays: 0, rules: s.rules };
        const amount = decimal(s.amountUnits, minorDigits(s.currency));
        const { drafts } = computeCommissions(
          { kind: 'event', eventId: 'evt_1', eventType: s.eventType, amount, currency: s.currency, isDuplicate: s.isDuplicate, occurredAt: new Date('2026-05-01T00:00:00Z') },
          plan,
          CHAIN,
          NO_FX,
        );
        for (const d of drafts) {
          expect(d.amount.startsWith('-')).toBe(false);
          expect(/[1-9]/.test(d.amount)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("tiers sum to the rules: each rule pays its direct amount rounded half-even, and each upline its rate of that, rounded (integer reference)", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const digits = minorDigits(s.currency);
        const plan: Plan = { id: 'cpl', currency: s.currency, holdDays: 0, rules: s.rules };
        const amount = decimal(s.amountUnits, digits);
        const { drafts } = computeCommissions(
          { kind: 'event', eventId: 'evt_1', eventType: s.eventType, amount, currency: s.currency, isDuplicate: s.isDuplicate, occurredAt: new Date('2026-05-01T00:00:00Z') },
          plan,
          CHAIN,
          NO_FX,
        );
        const PCT = 100_000_000n; // 100 % with 6 places
        const expected: [number, number, bigint][] = [];
        s.rules.forEach((rule, i) => {
          let direct: bigint | null = null;
          if (rule.kind === 'CPA' && rule.eventType === s.eventType && !s.isDuplicate && (rule.minAmount == null || s.amountUnits >= units(rule.minAmount, digits))) {
            direct = units(rule.amount!, digits);
          }
          const shares = rule.eventType ? rule.eventType === s.eventType : PAYMENTS.includes(s.eventType);
          if (rule.kind === 'REVSHARE' && shares) direct = divHalfEven(s.amountUnits * units(rule.percentage!, 6), PCT);
          if (direct === null) return;
          const tiers = [direct, ...rule.tierRates.map((rate) => divHalfEven(direct! * units(rate, 6), PCT))];
          tiers.forEach((minor, tier) => {
            if (minor !== 0n) expected.push([i, tier, minor]);
          });
        });
        expect(drafts.map((d) => [d.ruleIndex, d.tier, units(d.amount, digits)])).toEqual(expected);
        const byRule = (rows: [number, number, bigint][], i: number) => rows.filter((r) => r[0] === i).reduce((sum, r) => sum + r[2], 0n);
        const got = drafts.map((d) => [d.ruleIndex, d.tier, units(d.amount, digits)] as [number, number, bigint]);
        s.rules.forEach((_, i) => expect(byRule(got, i)).toBe(byRule(expected, i)));
      }),
      { numRuns: 500 },
    );
  });

  it('partial refunds of a payment, however split, take exactly the whole commission once the payment is refunded in full', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 9n }),
        fc.bigInt({ min: 1n, max: 10n ** 7n }),
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 2, maxLength: 6 }),
        (commission, paymentUnits, weights) => {
          const payment = decimal(paymentUnits, 2);
          // Split the payment into refunds proportional to the weights (the last takes the rest).
          const total = weights.reduce((a, b) => a + b, 0);
          const parts: bigint[] = weights.slice(0, -1).map((w) => (paymentUnits * BigInt(w)) / BigInt(total));
          parts.push(paymentUnits - parts.reduce((a, b) => a + b, 0n));
          let before = 0n;
          let taken = 0n;
          let reversedWhole = false;
          for (const part of parts) {
            const effect = refundEffect(payment, decimal(before, 2), decimal(part, 2));
            const previous = before;
            before += part;
            if (part === 0n) {
              expect(effect.kind).toBe('nothing'); // a zero refund takes nothing
              continue;
            }
            if (previous === 0n && part === paymentUnits) {
              expect(effect.kind).toBe('full'); // the whole payment at once: a plain reversal
              reversedWhole = true;
              continue;
            }
            expect(effect).toEqual({ kind: 'partial', cumulative: decimal(before, 2).replace(/\.?0+$/, '') || '0' });
            const delta = refundShareMinor(commission, payment, decimal(before, 2), taken);
            expect(delta <= 0n).toBe(true);
            taken -= delta;
            // After each refund, what was taken is the commission's share of everything refunded, rounded half-even.
            expect(taken).toBe(divHalfEven(commission * before, paymentUnits));
          }
          if (!reversedWhole) expect(taken).toBe(commission);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('reverse then re-apply is a no-op (the consumer on SQLite)', () => {
  let h: CommissionsHarness;
  beforeAll(async () => {
    h = await openCommissions();
    await h.deliver(h.fact('partner.changed', { partner: { id: 'prt_01JTOP000000000000000000TP', parentId: null, externalId: null } }));
    await h.deliver(h.fact('partner.changed', { partner: { id: 'prt_01JIB0000000000000000000IB', parentId: 'prt_01JTOP000000000000000000TP', externalId: null } }));
    await h.run(`mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id } }`, {
      i: {
        name: 'p',
        currency: 'USD',
        holdDays: 5,
        isDefault: true,
        rules: [
          { kind: 'CPA', eventType: 'FIRST_DEPOSIT', amount: '25', tierRates: ['20'] },
          { kind: 'REVSHARE', percentage: '7.5', tierRates: ['33.333333'] },
        ],
      },
    });
  });
  afterAll(() => h.close());

  const snapshot = async (traderId: string) =>
    (await h.ds.query(`SELECT id, status, amount_minor, adjusts_id FROM commissions WHERE trader_id = ? ORDER BY id`, [traderId])) as unknown[];

  it('payments and refunds (named or not, full or partial) delivered again in any order change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.bigInt({ min: 1n, max: 10n ** 7n }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.record({ payment: fc.nat(), share: fc.option(fc.integer({ min: 1, max: 100 }), { nil: null }), named: fc.boolean(), chargeback: fc.boolean() }), { maxLength: 4 }),
        fc.integer(),
        async (amounts, refundSpecs, seed) => {
          const traderId = newId('trd');
          const t0 = Date.UTC(2026, 4, 2);
          const payments: EventRep[] = amounts.map((u, i) => ({
            id: newId('evt'),
            eventType: i === 0 ? 'FIRST_DEPOSIT' : 'RECURRING_DEPOSIT',
            amount: decimal(u, 2),
            currency: 'USD',
            isDuplicate: false,
            timestamp: new Date(t0 + i * 60_000).toISOString(),
            productId: null,
            partnerId: 'prt_01JIB0000000000000000000IB',
            traderId,
          }));
          const refunds: EventRep[] = refundSpecs.map((r, i) => {
            const p = payments[r.payment % payments.length];
            const amount = r.share === null ? (r.named ? null : p.amount) : decimal((amounts[r.payment % payments.length] * BigInt(r.share)) / 100n || 1n, 2);
            return {
              id: newId('evt'),
              eventType: r.chargeback ? 'CHARGEBACK' : 'REFUND',
              amount,
              currency: amount === null ? null : 'USD',
              isDuplicate: false,
              timestamp: new Date(t0 + (10 + i) * 60_000).toISOString(),
              productId: null,
              partnerId: 'prt_01JIB0000000000000000000IB',
              traderId,
              refundOf: r.named ? p.id : null,
            };
          });
          const all = [...payments, ...refunds];
          for (const e of all) await h.deliver(h.fact('event.recorded', eventRecorded(e, e.refundOf ? payments.find((p) => p.id === e.refundOf)! : null)));
          const first = await snapshot(traderId);
          // Deliver everything again, shuffled: payments after the refunds that reversed them, refunds twice.
          const again = [...all, ...refunds].map((e, i) => ({ e, k: (i * 7919 + seed) % 97 })).sort((a, b) => a.k - b.k).map((x) => x.e);
          for (const e of again) await h.deliver(h.fact('event.recorded', eventRecorded(e, e.refundOf ? payments.find((p) => p.id === e.refundOf)! : null)));
          expect(await snapshot(traderId)).toEqual(first);
        },
      ),
      { numRuns: 40 },
    );
  });
});
