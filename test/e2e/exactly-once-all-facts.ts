import { randomBytes } from 'node:crypto';
import { Stack, waitFor } from '../helpers/harness';
import { describeChanges, diff, quietSnapshot, RowChange } from '../helpers/db-snapshot';
import { busOwes, forgetInbox, inboxHas, isDeliveryLog, watchDeliveries } from '../helpers/deliveries';
import { factTypesInCode } from '../helpers/fact-types';
import { republishFacts } from '../helpers/republish';

const uid = () => randomBytes(4).toString('hex');
const SUBGRAPHS = ['links', 'events', 'kyc', 'commissions'];

/** Bus bookkeeping, not state: the relay marks a republished fact published again; the test's own delivery log. */
const bookkeeping = (c: RowChange) => c.table.endsWith('.outbox') || isDeliveryLog(c.table);

/**
 * Each fact changes state once, whatever its type: a scenario makes a fact of every type the code publishes (the
 * list is read from the code, so a new type fails this test until the scenario makes one), then every stored fact
 * of every type is published again and delivered to every consumer that processed it, and no row of any table
 * (money, read models, logs, postback queues) changes. Run last on a stack, it covers every earlier test's facts.
 */
export function defineExactlyOnceAllFactsTests(stack: () => Stack): void {
  const gql = (q: string, v: Record<string, unknown> = {}) => stack().gql(q, v);
  async function ok(q: string, v: Record<string, unknown> = {}) {
    const res = await gql(q, v);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  }

  /** One fact of every type the code publishes (each mutation named by the fact it makes). */
  async function everyFactType(): Promise<{ partnerId: string; uplineB: string }> {
    const external = `eoa_ib_${uid()}`;
    // partner.changed, referral_code.changed (links); a second partner.changed moves the partner under another upline.
    const uplineA = (await ok(`mutation { createPartner(input: { name: "EO upline A" }) { id } }`)).createPartner.id;
    const uplineB = (await ok(`mutation { createPartner(input: { name: "EO upline B" }) { id } }`)).createPartner.id;
    const partnerId = (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: { name: 'EO all facts IB', externalId: external, parentId: uplineA } })).createPartner.id;
    // referral_link.created, click.recorded
    const link = (await ok(`mutation($p: ID!) { createReferralLink(input: { partnerId: $p, path: "/eo" }) { id } }`, { p: partnerId })).createReferralLink.id;
    await ok(`mutation($l: ID!) { recordClick(input: { linkId: $l, ip: "203.0.113.9", userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0" }) { id } }`, { l: link });
    // link_settings.changed, event_settings.changed: the values they have (other tests share the tenant).
    const hours = (await ok(`query { linkSettings { attributionWindowHours } }`)).linkSettings.attributionWindowHours;
    await ok(`mutation($h: Int) { updateLinkSettings(input: { attributionWindowHours: $h }) { attributionWindowHours } }`, { h: hours });
    await ok(`mutation { updateEventSettings(input: {}) { refuseUnknownProducts } }`);
    // product.changed, commission_plan.changed, commission_plan.assigned, fx_rate.changed
    await ok(`mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }`, { i: { id: `eo_product_${uid()}`, name: 'EO product' } });
    const plan = (
      await ok(`mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id } }`, {
        i: { name: `EO all ${uid()}`, currency: 'USD', holdDays: 30, rules: [{ kind: 'CPA', eventType: 'FIRST_DEPOSIT', amount: '100', minAmount: '200', tierRates: ['10'] }, { kind: 'REVSHARE', percentage: '10' }, { kind: 'LOT_REBATE', perLot: '4' }] },
      })
    ).createCommissionPlan.id;
    await waitFor('the partner in commissions', async () => ((await gql(`mutation($p: ID!, $plan: ID!) { assignCommissionPlan(partnerId: $p, planId: $plan) { id } }`, { p: partnerId, plan })).body.errors ? undefined : true), [], 15_000);
    await ok(`mutation { setFxRate(input: { from: "ISK", to: "USD", rate: "0.0072", effectiveFrom: "2026-01-01T00:00:00Z" }) { rate } }`);
    // trader.changed, event.recorded, commission.changed, trading_activity.recorded, referral_event.corrected (a Track360 re-send for less)
    const customer = `eoa_cust_${uid()}`;
    await waitFor('events to attribute the customer', async () => {
      await ok(`mutation($r: [ForexCustomerInput!]!) { upsertForexCustomers(records: $r) { accepted } }`, { r: [{ customerId: customer, signupDate: '2026-11-01T09:00:00Z', affiliateId: external, trackingData: 'eo' }] });
      const t = (await ok(`query($e: String) { traders(filter: { externalId: $e }) { nodes { partner { id } } } }`, { e: customer })).traders.nodes[0];
      return t?.partner?.id === partnerId ? true : undefined;
    }, [], 15_000);
    const dep = { transactionId: `txn_fx_${uid()}`, customerId: customer, transactionType: 'deposit', amountCurrency: 500, amountUsd: 500, currency: 'USD', transactionDate: '2026-11-12T10:45:00Z', status: 'approved' };
    await ok(`mutation($r: [ForexTransactionInput!]!) { upsertForexTransactions(records: $r) { accepted } }`, { r: [dep] });
    await ok(`mutation($r: [ForexTransactionInput!]!) { upsertForexTransactions(records: $r) { accepted } }`, { r: [{ ...dep, amountCurrency: 150, amountUsd: 150 }] });
    await ok(`mutation($r: [TradingActivityInput!]!) { upsertTradingActivity(records: $r) { accepted } }`, { r: [{ date: '2026-11-20', customerId: customer, instrument: 'EURUSD', lotsTraded: '2.5', currency: 'USD' }] });
    // kyc.started, kyc.approved, kyc.rejected, referral_code.changed (kyc)
    const code = `EOA_${uid()}`.toUpperCase();
    await ok(`mutation($i: CreateReferralCodeInput!) { createReferralCode(input: $i) { id } }`, { i: { userId: external, referralCode: code, bonus: { amount: '15', currency: 'USD' } } });
    for (const decision of ['APPROVED', 'REJECTED']) {
      const app = (await ok(`mutation($c: String!, $u: String!, $e: String!) { startKyc(input: { userId: $u, email: $e, referralCode: $c }) { id } }`, { c: code, u: `eoa_kyc_${uid()}`, e: `eoa-${uid()}@example.com` })).startKyc.id;
      await ok(`mutation($id: ID!, $d: KycStatus!) { decideKyc(id: $id, decision: $d, reason: "test") { status } }`, { id: app, d: decision });
    }
    // event.attributed: a registration with a code nobody has yet (PENDING), then the partner with that code.
    const later = `eoalater${uid()}`;
    await ok(`mutation($i: TrackEventInput!) { trackEvent(input: $i) { id } }`, { i: { eventType: 'REGISTRATION', email: `eoa-${uid()}@example.com`, referralCode: later } });
    await ok(`mutation($c: String!) { createPartner(input: { name: "EO late code", referralCode: $c }) { id } }`, { c: later });
    // The newer partner.changed: another upline. Republishing the older one must not bring the old upline back.
    await ok(`mutation($id: ID!, $p: ID!) { updatePartner(id: $id, input: { parentId: $p }) { id } }`, { id: partnerId, p: uplineB });
    return { partnerId, uplineB };
  }

  describe('exactly once for every fact type, when every stored fact is published again', () => {
    it('a scenario makes a fact of every type the code publishes; every stored fact published and delivered again changes no row (money, read models, logs, postbacks)', async () => {
      const types = factTypesInCode();
      // The list really is read from the code (a handful of well-known types must be in it).
      expect([...types.keys()]).toEqual(expect.arrayContaining(['event.recorded', 'commission.changed', 'partner.changed', 'referral_event.corrected', 'kyc.approved', 'trading_activity.recorded']));
      await everyFactTypeOnce();
      // Earlier tests may leave facts whose first processing is still to come (a consumer held back, then released): wait for them.
      await waitFor('the bus to owe no first processing', async () => ((await busOwes(stack())).length ? undefined : true), [], 90_000);
      const before = await quietSnapshot(stack(), { timeoutMs: 60_000 });
      const stored = (name: string) => [...(before.get(name)?.rows.values() ?? [])].map((r) => r.row as { fact_id: string; type: string });
      const outboxOf = (sg: string) => stored(`${sg}.outbox`);
      // Every type the code publishes was made, by the subgraph that publishes it.
      const missingTypes = [...types].filter(([type, sgs]) => !sgs.some((sg) => outboxOf(sg).some((f) => f.type === type)));
      expect(missingTypes).toEqual([]);

      const watch = await watchDeliveries(stack(), SUBGRAPHS);
      try {
        const again: Awaited<ReturnType<typeof republishFacts>>[] = [];
        for (const [type, sgs] of types) for (const sg of sgs) again.push(await republishFacts(stack(), sg, type, []));
        const factIds = again.flatMap((r) => r.factIds);
        expect(factIds.length).toBeGreaterThanOrEqual(types.size);
        await waitFor('the relays to publish every fact again', async () => ((await Promise.all(again.map((r) => r.republished()))).every(Boolean) ? true : undefined), [], 60_000);
        const delivered = await waitFor('every consumer to be handed its facts again', async () => {
          const d = await watch.delivered(factIds);
          return d.missing.length ? undefined : d;
        }, [], 120_000);
        expect(delivered.expected).toBeGreaterThan(0);
        const after = await quietSnapshot(stack(), { timeoutMs: 60_000 });
        const changes = diff(before, after).filter((c) => !bookkeeping(c));
        if (changes.length) throw new Error(`redelivered facts changed rows:\n${describeChanges(changes)}`);
      } finally {
        await watch.stop();
      }
    }, 300_000);

    it('an older partner.changed delivered after a newer one (its inbox rows gone) does not bring the old upline back', async () => {
      const { partnerId, uplineB } = await everyFactTypeOnce();
      await waitFor('the bus to owe no first processing', async () => ((await busOwes(stack())).length ? undefined : true), [], 90_000);
      const before = await quietSnapshot(stack(), { timeoutMs: 60_000 });
      const facts = [...(before.get('links.outbox')?.rows.values() ?? [])]
        .map((r) => r.row as { fact_id: string; type: string; body: string })
        .filter((f) => f.type === 'partner.changed' && f.body.includes(`"id":"${partnerId}"`));
      expect(facts.length).toBeGreaterThanOrEqual(2);
      const older = facts.find((f) => !f.body.includes(uplineB))!;
      expect(older).toBeDefined();
      {
        // As if the inbox had forgotten it: every consumer applies it again.
        const consumers = await forgetInbox(stack(), older.fact_id);
        expect(consumers.length).toBeGreaterThanOrEqual(3);
        const again = await republishFacts(stack(), 'links', 'partner.changed', [`"id":"${older.fact_id}"`]);
        expect(again.factIds).toEqual([older.fact_id]);
        await waitFor('the relay to publish it again', async () => ((await again.republished()) ? true : undefined), [], 15_000);
        await waitFor('the partner consumers to apply it again', async () => ((await inboxHas(stack(), older.fact_id)) >= consumers.length ? true : undefined), [], 30_000);
        const after = await quietSnapshot(stack(), { timeoutMs: 60_000 });
        // The read models of partners are as the newer fact left them (the inbox rows themselves are new).
        const changes = diff(before, after).filter((c) => !bookkeeping(c) && !c.table.endsWith('.processed_facts'));
        if (changes.length) throw new Error(`the older partner.changed changed rows:\n${describeChanges(changes)}`);
      }
    }, 180_000);
  });

  let made: Promise<{ partnerId: string; uplineB: string }> | null = null;
  /** The scenario of the first test, made once (the second test may run alone). */
  function everyFactTypeOnce() {
    made ??= everyFactType();
    return made;
  }
}
