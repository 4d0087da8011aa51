import { randomBytes } from 'node:crypto';
import { Stack, waitFor } from '../helpers/harness';

const uid = () => randomBytes(4).toString('hex');
const CREATE = `mutation($i: CreateReferralCodeInput!) { createReferralCode(input: $i) { id referralCode userId isvId category usedCount active bonus { amount currency } } }`;

/** The KYC issue through the gateway: codes, validation, applications and the approval hand-off. */
export function defineKycTests(stack: () => Stack): void {
  const gql = (q: string, v: Record<string, unknown> = {}) => stack().gql(q, v);
  async function ok(q: string, v: Record<string, unknown> = {}) {
    const res = await gql(q, v);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  }

  describe('KYC referral codes and applications', () => {
    const owner = `isv_user_${uid()}`;
    const premium = `PARTNER${uid()}`.toUpperCase();
    const seasonal = `SUMMER_${uid()}`;
    let partnerId: string;

    beforeAll(async () => {
      partnerId = (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: { name: 'ISV partner', externalId: owner } })).createPartner.id;
      const a = await ok(CREATE, { i: { userId: owner, referralCode: premium, category: 'isv_premium', bonus: { amount: '50', currency: 'USD' } } });
      expect(a.createReferralCode).toMatchObject({ referralCode: premium, userId: owner, isvId: stack().tenantId, category: 'isv_premium', usedCount: 0, active: true, bonus: { amount: '50.00', currency: 'USD' } });
      await ok(CREATE, { i: { userId: owner, referralCode: seasonal, category: 'seasonal' } });
    });

    it('codes are unique ignoring case and follow the 3-64 character rule', async () => {
      const dup = await gql(CREATE, { i: { userId: 'x', referralCode: premium.toLowerCase() } });
      expect(dup.body.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'referral_code_taken', param: 'input.referralCode' });
      for (const bad of ['ab', 'x'.repeat(65), 'has space']) {
        const res = await gql(CREATE, { i: { userId: 'x', referralCode: bad } });
        expect(res.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'input.referralCode' });
      }
      const badBonus = await gql(CREATE, { i: { userId: 'x', referralCode: `B${uid()}`, bonus: { amount: '1', currency: 'usd' } } });
      expect(badBonus.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'input.bonus.currency' });
    });

    it('referralCodes lists by user and category, 20 a page by default, with cursors', async () => {
      const all = await ok(`query($u: String) { referralCodes(filter: { userId: $u }) { totalCount nodes { referralCode } } }`, { u: owner });
      expect(all.referralCodes.totalCount).toBe(2);
      const cat = await ok(`query($u: String) { referralCodes(filter: { userId: $u, category: "seasonal" }) { nodes { referralCode } } }`, { u: owner });
      expect(cat.referralCodes.nodes).toEqual([{ referralCode: seasonal }]);
      const p1 = await ok(`query($u: String) { referralCodes(filter: { userId: $u }, first: 1) { pageInfo { hasNextPage endCursor } nodes { referralCode } } }`, { u: owner });
      const p2 = await ok(`query($u: String, $a: String) { referralCodes(filter: { userId: $u }, first: 1, after: $a) { pageInfo { hasNextPage } nodes { referralCode } } }`, { u: owner, a: p1.referralCodes.pageInfo.endCursor });
      expect([p1.referralCodes.nodes[0].referralCode, p2.referralCodes.nodes[0].referralCode]).toEqual([seasonal, premium]);
      expect([p1.referralCodes.pageInfo.hasNextPage, p2.referralCodes.pageInfo.hasNextPage]).toEqual([true, false]);
    });

    it('validateReferralCode answers the owner and bonus for an active code and isValid false otherwise', async () => {
      const v = await ok(`query($a: String!, $b: String!) { good: validateReferralCode(code: $a) { isValid userId amount { amount currency } } bad: validateReferralCode(code: $b) { isValid userId amount { amount } } }`, { a: premium.toLowerCase(), b: 'NOPE_NOT_HERE' });
      expect(v.good).toEqual({ isValid: true, userId: owner, amount: { amount: '50.00', currency: 'USD' } });
      expect(v.bad).toEqual({ isValid: false, userId: null, amount: null });
      const gone = `GONE_${uid()}`;
      await ok(CREATE, { i: { userId: owner, referralCode: gone } });
      await ok(`mutation($c: String!) { deactivateReferralCode(code: $c) { active } }`, { c: gone });
      expect((await ok(`query($c: String!) { validateReferralCode(code: $c) { isValid } }`, { c: gone })).validateReferralCode.isValid).toBe(false);
    });

    it('a code owned by a partner user resolves to that partner through federation', async () => {
      const code = await waitFor('kyc to learn the partner', async () => {
        const d = await ok(`query($c: String!) { referralCode(code: $c) { partner { id } } }`, { c: premium });
        return d.referralCode.partner ? d.referralCode : undefined;
      }, [], 15_000);
      expect(code.partner.id).toBe(partnerId);
    });

    it('startKyc refuses an unknown code; approval counts the use, records KYC_COMPLETED for the owner; deciding twice is a conflict', async () => {
      const unknown = await gql(`mutation { startKyc(input: { userId: "u1", referralCode: "NO_SUCH_CODE" }) { id } }`);
      expect(unknown.body.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', param: 'input.referralCode' });
      const user = `new_user_${uid()}`;
      const email = `${user}@example.com`;
      const started = await ok(`mutation($i: StartKycInput!) { startKyc(input: $i) { id status referralCode { referralCode } } }`, { i: { userId: user, firstName: 'Jane', lastName: 'Smith', email, country: 'GB', referralCode: premium } });
      expect(started.startKyc).toMatchObject({ status: 'PENDING', referralCode: { referralCode: premium } });
      const noReason = await gql(`mutation($id: ID!) { decideKyc(id: $id, decision: REJECTED) { id } }`, { id: started.startKyc.id });
      expect(noReason.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'reason' });
      const approved = await ok(`mutation($id: ID!) { decideKyc(id: $id, decision: APPROVED) { status decidedAt referralCode { usedCount } } }`, { id: started.startKyc.id });
      expect(approved.decideKyc).toMatchObject({ status: 'APPROVED', referralCode: { usedCount: 1 } });
      const again = await gql(`mutation($id: ID!) { decideKyc(id: $id, decision: REJECTED, reason: "late") { id } }`, { id: started.startKyc.id });
      expect(again.body.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'kyc.already_decided' });

      const event = await waitFor('the KYC_COMPLETED event', async () => {
        const d = await ok(`query($p: ID!) { partner(id: $p) { events(filter: { eventType: KYC_COMPLETED }) { nodes { attribution isConversion trader { email externalId country kycStatus } } } } }`, { p: partnerId });
        return d.partner.events.nodes.find((e: any) => e.trader.email === email);
      }, [], 15_000);
      expect(event).toEqual({ attribution: 'REFERRAL_CODE', isConversion: true, trader: { email, externalId: user, country: 'GB', kycStatus: 'approved' } });
      const listed = await ok(`query($c: String) { kycApplications(filter: { referralCode: $c, status: APPROVED }) { totalCount } }`, { c: premium });
      expect(listed.kycApplications.totalCount).toBe(1);
    });
  });
}
