import { randomBytes } from 'node:crypto';
import Decimal from 'decimal.js';
import { Stack, waitFor } from '../helpers/harness';
import { republishFacts } from '../helpers/republish';
import { collect, wsClient } from '../helpers/ws';

const uid = () => randomBytes(4).toString('hex');
const UPSERT_CUSTOMERS = `mutation($r: [ForexCustomerInput!]!) { upsertForexCustomers(records: $r) { accepted rejected { index field message } } }`;
const UPSERT_TXN = `mutation($r: [ForexTransactionInput!]!) { upsertForexTransactions(records: $r) { accepted rejected { index field message } } }`;
const CORRECTIONS = `subscription($f: ConversionStreamFilter, $after: String) { conversionCorrected(filter: $f, after: $after) {
  cursor reason correctedAt previous { eventType isConversion timestamp amount }
  event { id eventType amount currency isConversion partner { id } } } }`;

interface Row {
  id: string;
  kind: string;
  tier: number;
  amount: string;
  status: string;
  reversalReason: string | null;
  partner: { id: string };
  event: { id: string } | null;
}

/**
 * A Track360 deposit corrected below its plan version's CPA minAmount loses its CPA, and corrected back above it
 * is paid it again once; the partner's live stream hears each correction once (conversionCorrected). Hand
 * calculated: CPA 100.00 on a FIRST_DEPOSIT of at least 200 USD, 10 % of it (10.00) to the upline.
 */
export function defineCpaCorrectionTests(stack: () => Stack): void {
  const gql = (q: string, v: Record<string, unknown> = {}) => stack().gql(q, v);
  async function ok(q: string, v: Record<string, unknown> = {}) {
    const res = await gql(q, v);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  }

  describe('a Track360 deposit corrected below its CPA minAmount', () => {
    let upline: string;
    let partnerId: string;
    let affiliate: string;

    beforeAll(async () => {
      affiliate = `ib_cpa_fix_${uid()}`;
      upline = (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: { name: 'Correction upline' } })).createPartner.id;
      partnerId = (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: { name: 'Correction IB', externalId: affiliate, parentId: upline } })).createPartner.id;
      const plan = await ok(`mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id } }`, {
        i: { name: `CPA min ${uid()}`, currency: 'USD', holdDays: 30, rules: [{ kind: 'CPA', eventType: 'FIRST_DEPOSIT', amount: '100', minAmount: '200', tierRates: ['10'] }] },
      });
      await waitFor('the partner to reach commissions', async () => {
        const r = await gql(`mutation($p: ID!, $plan: ID!) { assignCommissionPlan(partnerId: $p, planId: $plan) { id } }`, { p: partnerId, plan: plan.createCommissionPlan.id });
        return r.body.errors ? undefined : true;
      }, [], 15_000);
    });

    /** A Track360 customer of the partner (the seed's customer record), once events knows the partner. */
    async function customer(): Promise<string> {
      const customerId = `tdr_${uid()}`;
      return waitFor('events to attribute the customer to the partner', async () => {
        await ok(UPSERT_CUSTOMERS, { r: [{ customerId, signupDate: '2026-03-01T09:00:00Z', affiliateId: affiliate, trackingData: 'cpa-correction' }] });
        const t = (await ok(`query($e: String) { traders(filter: { externalId: $e }) { nodes { partner { id } } } }`, { e: customerId })).traders.nodes[0];
        return t?.partner?.id === partnerId ? customerId : undefined;
      }, [], 15_000);
    }

    /** The Track360 seed's sample transaction (transaction_id, customer_id, transaction_type, ...), for `amount` USD. */
    const seedDeposit = (customerId: string, amount: number) => ({
      transactionId: `txn_fx_${uid()}`,
      customerId,
      transactionType: 'deposit',
      transactionSubtype: 'wire',
      amountCurrency: amount,
      amountUsd: amount,
      currency: 'USD',
      transactionDate: '2026-03-12T10:45:00Z',
      status: 'approved',
      note: 'initial funding',
    });

    const cpaOf = async (eventId: string): Promise<Row[]> => {
      const rows: Row[] = [];
      for (const p of [partnerId, upline]) {
        const nodes = (await ok(`query($p: ID!) { partner(id: $p) { commissions(first: 100) { nodes { id kind tier amount status reversalReason partner { id } event { id } } } } }`, { p })).partner.commissions.nodes as Row[];
        rows.push(...nodes.filter((c) => c.kind === 'CPA' && c.event?.id === eventId));
      }
      return rows;
    };
    const table = (rows: Row[]) => rows.map((c) => [c.partner.id === upline ? 'upline' : 'partner', c.amount, c.status]).sort((a, b) => a.join().localeCompare(b.join()));
    const depositEvent = async (customerId: string) =>
      (await ok(`query($e: String) { traders(filter: { externalId: $e }) { nodes { events(first: 5) { nodes { id eventType amount isConversion } } } } }`, { e: customerId })).traders.nodes[0].events.nodes[0];

    it('"a deposit re-sent approved for less": 500 USD paid CPA 100.00 (minAmount 200) re-sent approved for 150 loses it, partner and upline REVERSED; re-sent for 500 again pays it once more; the stream tells each correction once', async () => {
      const key = (await stack().admin('create-key', '--tenant', stack().tenantId, '--scopes', 'events:read', '--partner', partnerId)).key;
      const { client } = wsClient(stack().gatewayUrl, { apiKey: key });
      const sub = collect(client, CORRECTIONS);
      try {
        const customerId = await customer();
        const dep = seedDeposit(customerId, 500);
        expect((await ok(UPSERT_TXN, { r: [dep] })).upsertForexTransactions.accepted).toBe(1);
        const event = await depositEvent(customerId);
        expect(event).toMatchObject({ eventType: 'FIRST_DEPOSIT', amount: '500.00', isConversion: true });
        const paid = await waitFor('the CPA of the 500 USD deposit', async () => {
          const rows = await cpaOf(event.id);
          return rows.length === 2 ? rows : undefined;
        }, [], 15_000);
        expect(table(paid)).toEqual([['partner', '100.00', 'PENDING'], ['upline', '10.00', 'PENDING']]);

        // The same transaction re-sent approved for 150 USD: below the CPA's minAmount of 200.
        await ok(UPSERT_TXN, { r: [{ ...dep, amountCurrency: 150, amountUsd: 150 }] });
        expect(await depositEvent(customerId)).toMatchObject({ id: event.id, eventType: 'FIRST_DEPOSIT', amount: '150.00', isConversion: false });
        const reversed = await waitFor('the CPA to be reversed', async () => {
          const rows = await cpaOf(event.id);
          return rows.every((c) => c.status === 'REVERSED') ? rows : undefined;
        }, [], 15_000);
        expect(table(reversed)).toEqual([['partner', '100.00', 'REVERSED'], ['upline', '10.00', 'REVERSED']]);
        for (const c of reversed) expect(c.reversalReason).toMatch(/^corrected: deposit .* re-sent approved for 150\.00 USD \(was 500\.00\)/);
        expect((await ok(`query($e: ID!) { event(id: $e) { isConversion } }`, { e: event.id })).event.isConversion).toBe(false);

        const down = await waitFor('the correction on the stream', async () => (sub.messages.length ? sub.messages[0] : undefined), [], 15_000);
        expect(down.data.conversionCorrected).toMatchObject({
          event: { id: event.id, eventType: 'FIRST_DEPOSIT', amount: '150.00', currency: 'USD', isConversion: false, partner: { id: partnerId } },
          previous: { eventType: 'FIRST_DEPOSIT', isConversion: true, timestamp: '2026-03-12T10:45:00.000Z', amount: '500.00' },
          reason: expect.stringContaining('re-sent approved for 150.00 USD'),
        });

        // The correction's fact published again (a relay that died before marking): no second message, no second reversal.
        const again = await republishFacts(stack(), 'events', 'referral_event.corrected', [`"id":"${event.id}"`]);
        expect(again.factIds).toHaveLength(1);
        await waitFor('the relay to publish the correction again', async () => ((await again.republished()) ? true : undefined), [], 15_000);

        // Back to 500 USD: above minAmount again, the CPA is paid once more (new rows), the reversed ones stay.
        await ok(UPSERT_TXN, { r: [{ ...dep, amountCurrency: 500, amountUsd: 500 }] });
        expect(await depositEvent(customerId)).toMatchObject({ amount: '500.00', isConversion: true });
        const repaid = await waitFor('the CPA to be paid again', async () => {
          const rows = await cpaOf(event.id);
          return rows.length === 4 ? rows : undefined;
        }, [], 15_000);
        expect(table(repaid)).toEqual([['partner', '100.00', 'PENDING'], ['partner', '100.00', 'REVERSED'], ['upline', '10.00', 'PENDING'], ['upline', '10.00', 'REVERSED']]);
        const up = await waitFor('the second correction on the stream', async () => (sub.messages.length >= 2 ? sub.messages[1] : undefined), [], 15_000);
        expect(up.data.conversionCorrected).toMatchObject({ event: { id: event.id, amount: '500.00', isConversion: true }, previous: { amount: '150.00', isConversion: false } });
        expect(sub.messages).toHaveLength(2);
        expect(up.data.conversionCorrected.cursor).not.toBe(down.data.conversionCorrected.cursor);

        // Resuming after the first correction replays the second one only.
        const resumed = collect(client, CORRECTIONS, { after: down.data.conversionCorrected.cursor });
        try {
          const first = await waitFor('the replay', async () => (resumed.messages.length ? resumed.messages[0] : undefined), [], 15_000);
          expect(first.data.conversionCorrected.cursor).toBe(up.data.conversionCorrected.cursor);
        } finally {
          resumed.unsubscribe();
        }
        // Still two CPA rows per partner after the redelivered fact and both corrections.
        expect(await cpaOf(event.id)).toHaveLength(4);
      } finally {
        sub.unsubscribe();
        await client.dispose();
      }
    });

    it('a PAID CPA of a deposit corrected below minAmount is clawed back with a negative entry (-100.00 and the upline -10.00); the paid rows stay PAID', async () => {
      const customerId = await customer();
      const dep = seedDeposit(customerId, 500);
      await ok(UPSERT_TXN, { r: [dep] });
      const event = await depositEvent(customerId);
      const rows = await waitFor('the CPA of the deposit', async () => {
        const r = await cpaOf(event.id);
        return r.length === 2 ? r : undefined;
      }, [], 15_000);
      const ids = rows.map((c) => c.id);
      expect((await ok(`mutation($ids: [ID!]!) { approveCommissions(ids: $ids) { status } }`, { ids })).approveCommissions).toEqual([{ status: 'APPROVED' }, { status: 'APPROVED' }]);
      expect((await ok(`mutation($ids: [ID!]!) { markCommissionsPaid(ids: $ids) { status } }`, { ids })).markCommissionsPaid).toEqual([{ status: 'PAID' }, { status: 'PAID' }]);
      const paidBefore = (await ok(`query($p: ID!) { partner(id: $p) { earnings(currency: "USD") { paidIncome approvedIncome } } }`, { p: partnerId })).partner.earnings;

      await ok(UPSERT_TXN, { r: [{ ...dep, amountCurrency: 150, amountUsd: 150 }] });
      const after = await waitFor('the claw-backs', async () => {
        const r = await cpaOf(event.id);
        return r.length === 4 ? r : undefined;
      }, [], 15_000);
      expect(table(after)).toEqual([['partner', '-100.00', 'APPROVED'], ['partner', '100.00', 'PAID'], ['upline', '-10.00', 'APPROVED'], ['upline', '10.00', 'PAID']]);
      for (const c of after.filter((r) => r.amount.startsWith('-'))) expect(c.reversalReason).toMatch(/^corrected: deposit .* re-sent approved for 150\.00 USD/);
      const earnings = (await ok(`query($p: ID!) { partner(id: $p) { earnings(currency: "USD") { paidIncome approvedIncome } } }`, { p: partnerId })).partner.earnings;
      // Paid stays paid; the claw-back is owed from the next payout.
      expect(earnings.paidIncome).toBe(paidBefore.paidIncome);
      expect(new Decimal(earnings.approvedIncome).minus(paidBefore.approvedIncome).toFixed(2)).toBe('-100.00');
    });
  });
}
