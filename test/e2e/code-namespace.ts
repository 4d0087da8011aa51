import { randomBytes } from 'node:crypto';
import { Stack, waitFor } from '../helpers/harness';

const uid = () => randomBytes(4).toString('hex');

const CREATE_PARTNER = `mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id referralCode } }`;
const UPDATE_CODE = `mutation($p: ID, $c: String!) { updateReferralCode(partnerId: $p, code: $c) { id referralCode referralCodeHistory } }`;
const CREATE_KYC_CODE = `mutation($i: CreateReferralCodeInput!) { createReferralCode(input: $i) { id referralCode userId } }`;
const VALIDATE = `query($c: String!) { validateReferralCode(code: $c) { isValid userId } }`;
const TRACK = `mutation($i: TrackEventInput!) { trackEvent(input: $i) { id attribution partner { id } } }`;

/**
 * Issue 15, failure 3: partner codes (current and past) and KYC referral codes are one
 * namespace per tenant, ignoring case, even when both are created in the same millisecond.
 * Runs in a tenant of its own so the issue's own PARTNER2024 is free. What happens while links
 * is down, and kyc's start-up report, are in code-namespace-startup.test.ts.
 */
export function defineCodeNamespaceTests(stack: () => Stack): void {
  describe('one referral code namespace per tenant (partner codes and KYC codes)', () => {
    let key: string;
    const gql = (q: string, v: Record<string, unknown> = {}) => stack().gql(q, v, key);
    async function ok(q: string, v: Record<string, unknown> = {}) {
      const res = await gql(q, v);
      expect(res.body.errors).toBeUndefined();
      return res.body.data;
    }
    /** Registrations with the code until the events subgraph has learnt it; the partner credited. */
    async function creditedFor(code: string): Promise<string> {
      const event = await waitFor(`events to learn the referral code ${code}`, async () => {
        const res = await gql(TRACK, { i: { eventType: 'REGISTRATION', email: `ns-${uid()}@example.com`, referralCode: code } });
        expect(res.body.errors).toBeUndefined();
        return res.body.data.trackEvent.attribution === 'REFERRAL_CODE' ? res.body.data.trackEvent : undefined;
      }, [], 20_000);
      return event.partner.id;
    }

    beforeAll(async () => {
      const tenant = await stack().admin('create-tenant', '--name', `Code namespace ${uid()}`);
      key = (await stack().admin('create-key', '--tenant', tenant.id, '--scopes', 'all', '--name', 'code-namespace')).key;
    }, 30_000);

    it('a KYC code PARTNER2024 owned by one partner stops another partner taking PARTNER2024, and trackEvent credits the KYC code\'s owner', async () => {
      const owner = (await ok(CREATE_PARTNER, { i: { name: 'ISV owner', externalId: 'isv_user_123' } })).createPartner;
      await ok(CREATE_KYC_CODE, { i: { userId: 'isv_user_123', referralCode: 'PARTNER2024', category: 'isv_premium', bonus: { amount: '50.00', currency: 'USD' } } });
      const other = await gql(CREATE_PARTNER, { i: { name: 'Another IB', referralCode: 'PARTNER2024' } });
      expect(other.body.errors?.[0].extensions).toEqual({ code: 'CONFLICT', param: 'input.referralCode', reason: 'referral.code_taken' });
      expect(other.body.data).toBeNull();
      const existing = (await ok(CREATE_PARTNER, { i: { name: 'Renaming IB' } })).createPartner;
      const renamed = await gql(UPDATE_CODE, { p: existing.id, c: 'partner2024' });
      expect(renamed.body.errors?.[0].extensions).toEqual({ code: 'CONFLICT', param: 'code', reason: 'referral.code_taken' });
      expect(renamed.body.errors?.[0].message).toMatch(/share one namespace/);
      expect(await creditedFor('PARTNER2024')).toBe(owner.id);
      // The refused rename changed nothing.
      const still = await ok(`query($id: ID!) { partner(id: $id) { referralCode referralCodeHistory } }`, { id: existing.id });
      expect(still.partner).toEqual({ referralCode: existing.referralCode, referralCodeHistory: [existing.referralCode] });
    });

    it('a partner code blocks the same KYC code in any case, with kyc\'s reason referral_code_taken, and stores nothing', async () => {
      const code = `Ib_${uid()}`;
      const partner = (await ok(CREATE_PARTNER, { i: { name: 'Code holder', referralCode: code } })).createPartner;
      for (const spelling of [code, code.toUpperCase(), code.toLowerCase()]) {
        const res = await gql(CREATE_KYC_CODE, { i: { userId: 'someone-else', referralCode: spelling } });
        expect(res.body.errors?.[0].extensions).toEqual({ code: 'CONFLICT', param: 'input.referralCode', reason: 'referral_code_taken' });
        expect(res.body.errors?.[0].message).toMatch(/share one namespace/);
      }
      expect((await ok(VALIDATE, { c: code })).validateReferralCode).toEqual({ isValid: false, userId: null });
      expect(await creditedFor(code.toUpperCase())).toBe(partner.id);
    });

    it("a partner's old code keeps blocking KYC codes, and the partner can still take it back", async () => {
      const old = `Old_${uid()}`;
      const partner = (await ok(CREATE_PARTNER, { i: { name: 'Renamed IB', referralCode: old } })).createPartner;
      await ok(UPDATE_CODE, { p: partner.id, c: `New_${uid()}` });
      const res = await gql(CREATE_KYC_CODE, { i: { userId: 'someone-else', referralCode: old.toUpperCase() } });
      expect(res.body.errors?.[0].extensions).toEqual({ code: 'CONFLICT', param: 'input.referralCode', reason: 'referral_code_taken' });
      const back = await ok(UPDATE_CODE, { p: partner.id, c: old });
      expect(back.updateReferralCode.referralCode).toBe(old);
    });

    it('a KYC code blocks the same partner code in any case, for createPartner and updateReferralCode', async () => {
      const code = `Kyc_${uid()}`;
      await ok(CREATE_KYC_CODE, { i: { userId: 'kyc-owner', referralCode: code } });
      const created = await gql(CREATE_PARTNER, { i: { name: 'Late IB', referralCode: code.toLowerCase() } });
      expect(created.body.errors?.[0].extensions).toEqual({ code: 'CONFLICT', param: 'input.referralCode', reason: 'referral.code_taken' });
      const p = (await ok(CREATE_PARTNER, { i: { name: 'Late IB 2' } })).createPartner;
      const updated = await gql(UPDATE_CODE, { p: p.id, c: code.toUpperCase() });
      expect(updated.body.errors?.[0].extensions).toEqual({ code: 'CONFLICT', param: 'code', reason: 'referral.code_taken' });
      // The KYC code itself is still one only once.
      const again = await gql(CREATE_KYC_CODE, { i: { userId: 'kyc-owner', referralCode: code.toUpperCase() } });
      expect(again.body.errors?.[0].extensions).toEqual({ code: 'CONFLICT', param: 'input.referralCode', reason: 'referral_code_taken' });
    });

    it('a partner and a KYC code created with one code at the same moment: exactly one wins, ten rounds, and trackEvent credits the winner', async () => {
      const kycOwnerExt = `kyc-side-${uid()}`;
      const kycOwner = (await ok(CREATE_PARTNER, { i: { name: 'KYC side', externalId: kycOwnerExt } })).createPartner;
      const winners: { code: string; partnerId: string }[] = [];
      for (let round = 0; round < 10; round++) {
        const code = `Race${round}_${uid()}`;
        const [partner, kyc] = await Promise.all([
          gql(CREATE_PARTNER, { i: { name: `Racer ${round}`, referralCode: code } }),
          gql(CREATE_KYC_CODE, { i: { userId: kycOwnerExt, referralCode: code.toLowerCase() } }),
        ]);
        const succeeded = [partner, kyc].filter((r) => !r.body.errors);
        expect({ round, winners: succeeded.length }).toEqual({ round, winners: 1 });
        if (partner.body.errors) {
          expect(partner.body.errors[0].extensions).toEqual({ code: 'CONFLICT', param: 'input.referralCode', reason: 'referral.code_taken' });
          winners.push({ code, partnerId: kycOwner.id });
        } else {
          expect(kyc.body.errors?.[0].extensions).toEqual({ code: 'CONFLICT', param: 'input.referralCode', reason: 'referral_code_taken' });
          winners.push({ code, partnerId: partner.body.data.createPartner.id });
        }
      }
      for (const w of winners) expect(await creditedFor(w.code.toUpperCase())).toBe(w.partnerId);
    }, 120_000);
  });
}
