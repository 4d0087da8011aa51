import { ALL_SCOPES } from '../../subgraphs/shared/src';
import { RunningGateway } from './server';

export const DEMO_TENANT_ID = 'ten_demo';
const GENERATED_KEY_NAME = 'demo key (generated at start)';

export interface Demo {
  tenantId: string;
  apiKey: string;
  partnerId: string;
  referralCode: string;
  trackingUrl: string;
}

/**
 * The demo tenant, an all-scopes key (DEMO_API_KEY, or a fresh one each start: keys are
 * stored hashed, so an old one cannot be printed again) and a demo partner.
 */
export async function ensureDemo(gateway: RunningGateway, fixedKey: string | undefined, client?: { id: string; secret: string }): Promise<Demo> {
  const keys = gateway.keys;
  if (client) {
    const existing = await gateway.tokens.findClient(client.id);
    if (existing && existing.tenantId !== DEMO_TENANT_ID) throw new Error('DEMO_CLIENT_ID is already a client of another tenant');
    if (!existing && (await keys.findTenant(DEMO_TENANT_ID))) {
      await gateway.tokens.createClient({ tenantId: DEMO_TENANT_ID, name: 'demo client', scopes: [...ALL_SCOPES], clientId: client.id, clientSecret: client.secret });
    }
  }
  if (!(await keys.findTenant(DEMO_TENANT_ID))) {
    await keys.createTenant('Demo', DEMO_TENANT_ID);
    if (client) await gateway.tokens.createClient({ tenantId: DEMO_TENANT_ID, name: 'demo client', scopes: [...ALL_SCOPES], clientId: client.id, clientSecret: client.secret });
  }
  let apiKey: string;
  if (fixedKey) {
    const existing = await keys.findKeyByValue(fixedKey);
    if (existing && existing.tenantId !== DEMO_TENANT_ID) throw new Error('DEMO_API_KEY is already a key of another tenant');
    if (!existing || existing.revokedAt) {
      if (existing) throw new Error('DEMO_API_KEY was revoked; choose another value');
      await keys.createKey({ tenantId: DEMO_TENANT_ID, name: 'demo key (DEMO_API_KEY)', scopes: [...ALL_SCOPES], key: fixedKey });
    }
    apiKey = fixedKey;
  } else {
    for (const k of await keys.listKeys(DEMO_TENANT_ID)) if (k.name === GENERATED_KEY_NAME && !k.revokedAt) await keys.revokeKey(k.id);
    apiKey = (await keys.createKey({ tenantId: DEMO_TENANT_ID, name: GENERATED_KEY_NAME, scopes: [...ALL_SCOPES] })).key;
  }

  // Through the graph itself, so the demo data goes through the same rules as any other.
  const call = async (query: string, variables: Record<string, unknown> = {}) => {
    const res = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': apiKey }, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { data?: any; errors?: { message: string }[] };
    if (body.errors?.length) throw new Error(`demo data: ${body.errors.map((e) => e.message).join('; ')}`);
    return body.data;
  };
  const found = await call('query { partners(filter: { search: "demo-partner" }, first: 1) { nodes { id referralCode } } }');
  let partner = found.partners.nodes[0] as { id: string; referralCode: string } | undefined;
  if (!partner) {
    const created = await call('mutation($input: CreatePartnerInput!) { createPartner(input: $input) { id referralCode } }', {
      input: { name: 'Demo Partner', email: 'partner@demo.example', externalId: 'demo-partner', referralCode: 'demo' },
    });
    partner = created.createPartner;
  }
  const links = await call('query($p: ID!) { partner(id: $p) { links(first: 1) { nodes { trackingUrl } } } }', { p: partner!.id });
  let trackingUrl = links.partner.links.nodes[0]?.trackingUrl as string | undefined;
  if (!trackingUrl) {
    const created = await call('mutation($i: CreateReferralLinkInput!) { createReferralLink(input: $i) { trackingUrl } }', {
      i: { partnerId: partner!.id, path: '/open-account', utm: { source: 'demo', medium: 'referral' } },
    });
    trackingUrl = created.createReferralLink.trackingUrl as string;
  }
  return { tenantId: DEMO_TENANT_ID, apiKey, partnerId: partner!.id, referralCode: partner!.referralCode, trackingUrl };
}
