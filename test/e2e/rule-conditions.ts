import { randomBytes } from 'node:crypto';
import { Stack, waitFor } from '../helpers/harness';

const uid = () => randomBytes(4).toString('hex');
const UPSERT_CUSTOMERS = `mutation($r: [ForexCustomerInput!]!) { upsertForexCustomers(records: $r) { accepted rejected { index field message } } }`;
const UPSERT_TXN = `mutation($r: [ForexTransactionInput!]!) { upsertForexTransactions(records: $r) { accepted rejected { index field message } } }`;
const UPSERT_ACTIVITY = `mutation($r: [TradingActivityInput!]!) { upsertTradingActivity(records: $r) { accepted rejected { index field message } } }`;
const CREATE_PLAN = `mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id versions { version rules { kind perLot accountTypes instruments countries } } } }`;

/**
 * Rule conditions (Track360: "trading_account_type enables commission differentiation (e.g. higher rebates for
 * ECN accounts)"): a rule for some account types, instruments or customer countries pays only those, and a CPA
 * rule with a condition makes only the matching customers' events conversions.
 */
export function defineRuleConditionsTests(stack: () => Stack): void {
  const gql = (q: string, v: Record<string, unknown> = {}) => stack().gql(q, v);
  async function ok(q: string, v: Record<string, unknown> = {}) {
    const res = await gql(q, v);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  }

  describe('rule conditions: account types, instruments, customer countries', () => {
    let partnerId: string;
    let affiliate: string;

    beforeAll(async () => {
      affiliate = `ib_cond_${uid()}`;
      partnerId = (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: { name: 'Conditions IB', externalId: affiliate } })).createPartner.id;
      const plan = await ok(CREATE_PLAN, {
        i: {
          name: `ECN vs standard ${uid()}`,
          currency: 'USD',
          holdDays: 30,
          rules: [
            { kind: 'LOT_REBATE', perLot: '7', accountTypes: ['ECN'] },
            { kind: 'LOT_REBATE', perLot: '5', accountTypes: ['Standard'] },
            { kind: 'SPREAD_SHARE', percentage: '20', instruments: ['XAUUSD'] },
            { kind: 'CPA', eventType: 'FIRST_DEPOSIT', amount: '100', countries: ['MX'] },
          ],
        },
      });
      // The conditions are part of the plan version.
      expect(plan.createCommissionPlan.versions[0].rules).toEqual([
        { kind: 'LOT_REBATE', perLot: '7', accountTypes: ['ECN'], instruments: null, countries: null },
        { kind: 'LOT_REBATE', perLot: '5', accountTypes: ['Standard'], instruments: null, countries: null },
        { kind: 'SPREAD_SHARE', perLot: null, accountTypes: null, instruments: ['XAUUSD'], countries: null },
        { kind: 'CPA', perLot: null, accountTypes: null, instruments: null, countries: ['MX'] },
      ]);
      await waitFor('the partner to reach commissions', async () => {
        const r = await gql(`mutation($p: ID!, $plan: ID!) { assignCommissionPlan(partnerId: $p, planId: $plan) { id } }`, { p: partnerId, plan: plan.createCommissionPlan.id });
        return r.body.errors ? undefined : true;
      }, [], 15_000);
    });

    /** A Track360 customer of the partner (the seed's sample record, with its own id), once events knows the partner. */
    async function customer(tradingAccountType: string, countryCode: string): Promise<{ customerId: string; traderId: string }> {
      const customerId = `tdr_${uid()}`;
      const record = {
        customerId,
        signupDate: '2026-03-10T14:30:00Z',
        lastModifiedDate: '2026-03-12T08:22:15Z',
        firstName: 'Maria',
        lastName: 'S',
        affiliateId: affiliate,
        trackingData: '2001_1000_abcdefg',
        langId: 'es',
        countryCode,
        kycStatusId: 'approved',
        salesStatusId: 'converted',
        tradingAccountType,
        leverage: '1:200',
      };
      return waitFor('events to attribute the customer to the partner', async () => {
        await ok(UPSERT_CUSTOMERS, { r: [record] });
        const t = (await ok(`query($e: String) { traders(filter: { externalId: $e }) { nodes { id partner { id } } } }`, { e: customerId })).traders.nodes[0];
        return t?.partner?.id === partnerId ? { customerId, traderId: t.id } : undefined;
      }, [], 15_000);
    }

    const commissionsOf = async (traderId: string) =>
      (await ok(`query($p: ID!) { partner(id: $p) { commissions(first: 100) { nodes { kind amount trader { id } } } } }`, { p: partnerId })).partner.commissions.nodes
        .filter((c: any) => c.trader?.id === traderId)
        .map((c: any) => [c.kind, c.amount])
        .sort();

    const day = (customerId: string, instrument: string, lotsTraded: string, spreadCost: string) => ({ date: '2026-03-15', customerId, instrument, lotsTraded, spreadCost, currency: 'USD' });

    it('lot rebates on ECN vs standard: 2.5 lots of EURUSD pay 17.50 to an ECN account and 12.50 to a standard one, each from its own rule', async () => {
      const ecn = await customer('ECN', 'MX');
      // Track360's own spelling ("standard, ECN, micro, demo"): account types compare ignoring case.
      const standard = await customer('standard', 'BR');
      const res = await ok(UPSERT_ACTIVITY, { r: [day(ecn.customerId, 'EURUSD', '2.5', '7.5'), day(standard.customerId, 'EURUSD', '2.5', '7.5')] });
      expect(res.upsertTradingActivity).toEqual({ accepted: 2, rejected: [] });
      const paid = async (traderId: string) => waitFor('the lot rebate', async () => {
        const rows = await commissionsOf(traderId);
        return rows.length ? rows : undefined;
      }, [], 15_000);
      // One row each: the other account type's rule pays nothing (7 x 2.5 = 17.50; 5 x 2.5 = 12.50).
      expect(await paid(ecn.traderId)).toEqual([['LOT_REBATE', '17.50']]);
      expect(await paid(standard.traderId)).toEqual([['LOT_REBATE', '12.50']]);
    });

    it('a spread share for XAUUSD only pays on gold: 20 % of a 37.50 spread is 7.50, beside the ECN rebate of 7.00', async () => {
      const ecn = await customer('ECN', 'MX');
      await ok(UPSERT_ACTIVITY, { r: [day(ecn.customerId, 'XAUUSD', '1', '37.5')] });
      const rows = await waitFor('the gold commissions', async () => {
        const r = await commissionsOf(ecn.traderId);
        return r.length === 2 ? r : undefined;
      }, [], 15_000);
      expect(rows).toEqual([['LOT_REBATE', '7.00'], ['SPREAD_SHARE', '7.50']]);
      // EURUSD the next day: the rebate only.
      await ok(UPSERT_ACTIVITY, { r: [{ ...day(ecn.customerId, 'EURUSD', '1', '37.5'), date: '2026-03-16' }] });
      const after = await waitFor('the EURUSD rebate', async () => {
        const r = await commissionsOf(ecn.traderId);
        return r.length === 3 ? r : undefined;
      }, [], 15_000);
      expect(after).toEqual([['LOT_REBATE', '7.00'], ['LOT_REBATE', '7.00'], ['SPREAD_SHARE', '7.50']]);
    });

    it('a CPA for customers in MX: a Mexican first deposit is a conversion paid 100.00, a Brazilian one is no conversion and pays nothing', async () => {
      const mx = await customer('ECN', 'MX');
      const br = await customer('ECN', 'BR');
      const deposit = (customerId: string) => ({ transactionId: `dep_${uid()}`, customerId, transactionType: 'deposit', amountCurrency: '500.00', currency: 'USD', transactionDate: '2026-03-15T10:00:00Z', status: 'approved' });
      expect((await ok(UPSERT_TXN, { r: [deposit(mx.customerId), deposit(br.customerId)] })).upsertForexTransactions).toEqual({ accepted: 2, rejected: [] });
      // ReferralEvent.commissions reads the customer's country through @requires, before or after the consumer ran.
      const firstDeposit = async (traderId: string) =>
        (await ok(`query($t: ID!) { trader(id: $t) { events(first: 5) { nodes { eventType isConversion commissions { kind amount } } } } }`, { t: traderId })).trader.events.nodes.find(
          (e: any) => e.eventType === 'FIRST_DEPOSIT',
        );
      expect(await firstDeposit(mx.traderId)).toEqual({ eventType: 'FIRST_DEPOSIT', isConversion: true, commissions: [{ kind: 'CPA', amount: '100.00' }] });
      expect(await firstDeposit(br.traderId)).toEqual({ eventType: 'FIRST_DEPOSIT', isConversion: false, commissions: [] });
      await waitFor('the stored CPA', async () => ((await commissionsOf(mx.traderId)).length === 1 ? true : undefined), [], 15_000);
      expect(await commissionsOf(mx.traderId)).toEqual([['CPA', '100.00']]);
      expect(await commissionsOf(br.traderId)).toEqual([]);
    });

    it.each([
      ['a country that is no ISO 3166-1 code', { kind: 'CPA', eventType: 'FIRST_DEPOSIT', amount: '100', countries: ['MX', 'XX'] }, 'input.rules.0.countries.1'],
      ['an empty list', { kind: 'LOT_REBATE', perLot: '7', accountTypes: [] }, 'input.rules.0.accountTypes'],
      ['a lower-case instrument', { kind: 'SPREAD_SHARE', percentage: '20', instruments: ['xauusd'] }, 'input.rules.0.instruments.0'],
      ['instruments on a CPA rule (events have none)', { kind: 'CPA', eventType: 'FIRST_DEPOSIT', amount: '100', instruments: ['EURUSD'] }, 'input.rules.0.instruments'],
      ['an account type twice ignoring case', { kind: 'LOT_REBATE', perLot: '7', accountTypes: ['ECN', 'ecn'] }, 'input.rules.0.accountTypes.1'],
    ])('refuses a plan with %s (BAD_USER_INPUT naming the condition), storing nothing', async (_name, rule, param) => {
      const name = `refused ${uid()}`;
      const res = await gql(CREATE_PLAN, { i: { name, currency: 'USD', holdDays: 0, rules: [rule] } });
      expect(res.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param });
      const plans = (await ok(`{ commissionPlans { name } }`)).commissionPlans;
      expect(plans.some((p: any) => p.name === name)).toBe(false);
    });
  });
}
