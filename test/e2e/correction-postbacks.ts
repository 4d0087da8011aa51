import { randomBytes } from 'node:crypto';
import { Stack, waitFor } from '../helpers/harness';
import { startReceiver } from '../helpers/receiver';
import fs from 'node:fs';
import path from 'node:path';

/** The receiver verification snippet from the source (the README shows the same text). */
function verifier(): (secret: string, headers: Record<string, unknown>, body: string) => boolean {
  const file = fs.readFileSync(path.resolve(__dirname, '../../subgraphs/events/src/domain/webhook-signature.ts'), 'utf8');
  const code = file.split('// BEGIN VERIFY SNIPPET')[1].split('// END VERIFY SNIPPET')[0].replace('/*', '').replace(/\*\/\s*$/, '');
  // eslint-disable-next-line no-new-func
  return new Function('require', `${code}\nreturn verifyWebhook;`)(require) as never;
}

const uid = () => randomBytes(4).toString('hex');
const CREATE = `mutation($i: CreatePostbackEndpointInput!) { createPostbackEndpoint(input: $i) { signingSecret endpoint { id } } }`;
const UPSERT_CUSTOMERS = `mutation($r: [ForexCustomerInput!]!) { upsertForexCustomers(records: $r) { accepted rejected { index field message } } }`;
const UPSERT_TXN = `mutation($r: [ForexTransactionInput!]!) { upsertForexTransactions(records: $r) { accepted rejected { index field message } } }`;

/**
 * Postbacks of corrected events: a Track360 back-fill that moves FIRST_DEPOSIT is delivered
 * as `referral_event.corrected` to endpoints that opted in to EVENT_CORRECTED, never through "*".
 * Needs loopback receivers (the embedded stack allows them).
 */
export function defineCorrectionPostbackTests(stack: () => Stack): void {
  const gql = (q: string, v: Record<string, unknown> = {}) => stack().gql(q, v);
  async function ok(q: string, v: Record<string, unknown> = {}) {
    const res = await gql(q, v);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  }

  describe('correction postbacks (EVENT_CORRECTED)', () => {
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    beforeAll(async () => {
      receiver = await startReceiver();
    });
    afterAll(async () => {
      await receiver.close();
    });

    it('a back-filled earlier deposit tells an EVENT_CORRECTED endpoint, once and signed, that the old first deposit is now recurring; "*" hears nothing of it', async () => {
      const affiliate = `ib_corr_${uid()}`;
      const partnerId = (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: { name: 'Correction IB', externalId: affiliate } })).createPartner.id;
      const corrected = `/corrected-${uid()}`;
      const star = `/star-${uid()}`;
      const optedIn = (await ok(CREATE, { i: { url: receiver.url(corrected), eventTypes: ['EVENT_CORRECTED'] } })).createPostbackEndpoint;
      await ok(CREATE, { i: { url: receiver.url(star), eventTypes: ['*'] } });

      // The tenant's other tests deliver to "*" too: only this partner's messages count.
      const ours = () => receiver.at(star).map((r) => JSON.parse(r.body)).filter((b) => b.data?.partnerId === partnerId);
      const customerId = `tdr_${uid()}`;
      await waitFor('events to attribute the customer to the partner', async () => {
        await ok(UPSERT_CUSTOMERS, { r: [{ customerId, signupDate: '2026-11-01T09:00:00Z', affiliateId: affiliate, trackingData: 'backfill' }] });
        const t = (await ok(`query($e: String) { traders(filter: { externalId: $e }) { nodes { id partner { id } } } }`, { e: customerId })).traders.nodes[0];
        return t?.partner?.id === partnerId ? true : undefined;
      }, [], 15_000);
      const deposit = (id: string, date: string, amount: string) => ({ transactionId: id, customerId, transactionType: 'deposit', amountCurrency: amount, currency: 'USD', transactionDate: date, status: 'approved' });
      const late = `dep_late_${uid()}`;
      const early = `dep_early_${uid()}`;
      expect((await ok(UPSERT_TXN, { r: [deposit(late, '2026-11-28T10:00:00Z', '500.00')] })).upsertForexTransactions.accepted).toBe(1);
      // The "*" endpoint hears of the first deposit as it was recorded: the stack delivers to it.
      const firstHeard = await waitFor('the FIRST_DEPOSIT postback to "*"', async () => ours().find((b) => b.type === 'referral_event.first_deposit'), [], 15_000);
      expect((await ok(UPSERT_TXN, { r: [deposit(early, '2026-11-21T10:00:00Z', '200.00')] })).upsertForexTransactions.accepted).toBe(1);

      const got = await waitFor('the correction postback', async () => receiver.at(corrected)[0], [], 15_000);
      const body = JSON.parse(got.body);
      expect(body).toMatchObject({
        type: 'referral_event.corrected',
        data: {
          id: firstHeard.data.id,
          eventType: 'RECURRING_DEPOSIT',
          amount: '500.00',
          partnerId,
          isConversion: false,
          timestamp: '2026-11-28T10:00:00.000Z',
          previous: { eventType: 'FIRST_DEPOSIT', isConversion: firstHeard.data.isConversion, timestamp: '2026-11-28T10:00:00.000Z' },
          reason: expect.stringContaining(early),
        },
      });
      expect(got.headers['webhook-id']).toBe(body.id);
      expect(verifier()(optedIn.signingSecret, got.headers, got.body)).toBe(true);
      // event(id) shows the corrected event.
      expect((await ok(`query($id: ID!) { event(id: $id) { eventType } }`, { id: firstHeard.data.id })).event.eventType).toBe('RECURRING_DEPOSIT');

      // The "*" endpoint gets the new FIRST_DEPOSIT as an event, and nothing of the correction.
      await waitFor('the back-filled FIRST_DEPOSIT postback to "*"', async () => (ours().filter((b) => b.type === 'referral_event.first_deposit').length === 2 ? true : undefined), [], 15_000);
      await new Promise((r) => setTimeout(r, 300)); // bounded wait to show something does NOT arrive
      expect(receiver.at(star).map((r) => JSON.parse(r.body).type)).not.toContain('referral_event.corrected');
      expect(receiver.at(corrected)).toHaveLength(1);
    });
  });
}
