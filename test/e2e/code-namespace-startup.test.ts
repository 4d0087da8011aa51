import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { freePort, Proc, ready, run, waitFor } from '../helpers/harness';
import { createDatabase, describeWithPostgres } from '../helpers/services';
import { Principal, PRINCIPAL_HEADER, signingKey, signPrincipal } from '../../subgraphs/shared/src/principal';

/**
 * The links and kyc services on their own (no gateway), each in its own process, as
 * production runs them: kyc reserves codes in links, refuses them while links is down, and at
 * start reports the KYC codes it stored before the shared namespace; links names the
 * collisions it finds, then at each start. On SQLite files and on PostgreSQL.
 */

const uid = () => randomBytes(4).toString('hex');

interface Driver {
  env: Record<string, string>;
  /** KYC codes as an older version stored them: without `reserved_at`. */
  insertLegacyKycCodes(rows: { id: string; tenantId: string; code: string; userId: string }[]): Promise<void>;
  reservedAt(id: string): Promise<unknown>;
  /** Makes a reservation in links look as if its KYC code's creation died long ago. */
  ageReservation(tenantId: string, codeKey: string): Promise<void>;
  cleanup(): Promise<void>;
}

function sqliteDriver(): Driver {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rgw-ns-'));
  const open = () => new Database(path.join(dir, 'kyc.sqlite'));
  return {
    env: { DATA_DIR: dir },
    async insertLegacyKycCodes(rows) {
      const db = open();
      const insert = db.prepare(
        "INSERT INTO referral_codes (id, tenant_id, referral_code, code_key, user_id, used_count, active, created_at) VALUES (?, ?, ?, ?, ?, 0, 1, '2025-06-01 00:00:00.000')",
      );
      for (const r of rows) insert.run(r.id, r.tenantId, r.code, r.code.toLowerCase(), r.userId);
      db.close();
    },
    async reservedAt(id) {
      const db = open();
      const row = db.prepare('SELECT reserved_at FROM referral_codes WHERE id = ?').get(id) as { reserved_at: unknown } | undefined;
      db.close();
      return row?.reserved_at;
    },
    async ageReservation(tenantId, codeKey) {
      const db = new Database(path.join(dir, 'links.sqlite'));
      db.prepare("UPDATE code_reservations SET created_at = '2025-01-01 00:00:00.000' WHERE tenant_id = ? AND code_key = ?").run(tenantId, codeKey);
      db.close();
    },
    async cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresDriver(): Promise<Driver> {
  const db = await createDatabase('rgw_ns');
  const query = async (sql: string, params: unknown[]) => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      return await c.query(sql, params);
    } finally {
      await c.end();
    }
  };
  return {
    env: { DATABASE_URL: db.url },
    async insertLegacyKycCodes(rows) {
      for (const r of rows) {
        await query(
          "INSERT INTO kyc.referral_codes (id, tenant_id, referral_code, code_key, user_id, used_count, active, created_at) VALUES ($1, $2, $3, $4, $5, 0, true, '2025-06-01T00:00:00Z')",
          [r.id, r.tenantId, r.code, r.code.toLowerCase(), r.userId],
        );
      }
    },
    async reservedAt(id) {
      return (await query('SELECT reserved_at FROM kyc.referral_codes WHERE id = $1', [id])).rows[0]?.reserved_at;
    },
    async ageReservation(tenantId, codeKey) {
      await query("UPDATE links.code_reservations SET created_at = '2025-01-01T00:00:00Z' WHERE tenant_id = $1 AND code_key = $2", [tenantId, codeKey]);
    },
    cleanup: db.drop,
  };
}

function defineStartupTests(name: string, makeDriver: () => Driver | Promise<Driver>): void {
  describe(name, () => {
    const secret = randomBytes(32).toString('hex');
    const key = signingKey(secret);
    const tenantId = `ten_ns_${uid()}`;
    const tenant: Principal = { tenantId, scopes: ['links:read', 'links:write', 'kyc:read', 'kyc:write'] };
    let driver: Driver;
    let common: Record<string, string>;
    let linksPort: number;
    const procs: Proc[] = [];
    let links: Proc;
    let kyc: Proc | null = null;

    const start = async (service: 'links' | 'kyc', env: Record<string, string>): Promise<Proc> => {
      const p = run(service, `subgraphs/${service}/src/index.js`, { ...common, ...env });
      procs.push(p);
      const port = env.LINKS_PORT ?? env.KYC_PORT;
      await waitFor(`${service} /readyz`, () => ready(`http://127.0.0.1:${port}/readyz`), [p]);
      return p;
    };
    const stop = async (p: Proc) => {
      p.child.kill('SIGTERM');
      expect((await p.exited).code).toBe(0);
    };
    const graphql = async (port: number, query: string, variables: Record<string, unknown> = {}, principal: Principal = tenant) => {
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [PRINCIPAL_HEADER]: await signPrincipal(principal, key) },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as { data?: any; errors?: { message: string; extensions: Record<string, unknown> }[] };
    };
    const gauge = async () => {
      const text = await (await fetch(`http://127.0.0.1:${linksPort}/metrics`)).text();
      return Number(/^referral_code_collisions (\d+)$/m.exec(text)?.[1]);
    };
    const CREATE_KYC_CODE = `mutation($i: CreateReferralCodeInput!) { createReferralCode(input: $i) { id } }`;
    const CREATE_PARTNER = `mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id referralCode } }`;

    const clash = `Clash_${uid()}`;
    const legacyFree = `Legacy_${uid()}`;
    const ids = { clash: `rc_LEGACYCLASH${uid().toUpperCase()}`, free: `rc_LEGACYFREE${uid().toUpperCase()}` };
    let partnerId: string;

    beforeAll(async () => {
      driver = await makeDriver();
      common = {
        ...driver.env,
        PRINCIPAL_SECRET: secret,
        CLICK_ID_SECRET: randomBytes(32).toString('hex'),
        SECRETS_KEY: randomBytes(32).toString('hex'),
        HOST: '127.0.0.1',
        OUTBOX_POLL_MS: '100',
      };
      linksPort = await freePort();
      links = await start('links', { LINKS_PORT: String(linksPort) });
    }, 60_000);
    afterAll(async () => {
      for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
      await Promise.all(procs.map((p) => p.exited));
      await driver?.cleanup();
    }, 30_000);

    it('with links unreachable, createReferralCode is SERVICE_UNAVAILABLE (reason links_unavailable) and stores nothing', async () => {
      const kycPort = await freePort();
      const dead = await freePort();
      kyc = await start('kyc', { KYC_PORT: String(kycPort), LINKS_URL: `http://127.0.0.1:${dead}/graphql` });
      const code = `Down_${uid()}`;
      const res = await graphql(kycPort, CREATE_KYC_CODE, { i: { userId: 'down-owner', referralCode: code } });
      expect(res.errors?.[0].extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', reason: 'links_unavailable' });
      expect(res.errors?.[0].message).toBe(
        'KYC referral codes cannot be created right now: the links service, which keeps the one namespace of partner and KYC codes, is unreachable. Nothing was stored; try again.',
      );
      const stored = await graphql(kycPort, `query($c: String) { referralCodes(filter: { code: $c }) { totalCount } }`, { c: code });
      expect(stored.data.referralCodes.totalCount).toBe(0);
      await stop(kyc);
      kyc = null;
    }, 60_000);

    it("KYC codes stored before the shared namespace are reserved in links when kyc starts; one a partner also holds is named in both logs and counted", async () => {
      const partner = await graphql(linksPort, CREATE_PARTNER, { i: { name: 'Clash holder', referralCode: clash } });
      expect(partner.errors).toBeUndefined();
      partnerId = partner.data.createPartner.id;
      await driver.insertLegacyKycCodes([
        { id: ids.clash, tenantId, code: clash.toUpperCase(), userId: 'legacy-owner' },
        { id: ids.free, tenantId, code: legacyFree, userId: 'legacy-owner' },
      ]);
      const kycPort = await freePort();
      kyc = await start('kyc', { KYC_PORT: String(kycPort), LINKS_URL: `http://127.0.0.1:${linksPort}/graphql` });
      const named = `${tenantId}/${clash.toUpperCase()} (partner ${partnerId}, KYC code ${ids.clash})`;
      await waitFor('the collision warning in links', async () => (links.output().includes(named) ? true : undefined), [links, kyc], 20_000);
      expect(links.output()).toMatch(/"level":40.*1 referral code\(s\) belong both to a partner and to a KYC referral code/);
      await waitFor('the collision warning in kyc', async () => (kyc!.output().includes(`${tenantId}/${clash.toUpperCase()} (KYC code ${ids.clash}, partner ${partnerId})`) ? true : undefined), [kyc], 20_000);
      expect(await gauge()).toBe(1);
      expect(await driver.reservedAt(ids.free)).not.toBeNull();
      expect(await driver.reservedAt(ids.clash)).toBeNull();
      // The old KYC code now blocks partners, ignoring case.
      const late = await graphql(linksPort, CREATE_PARTNER, { i: { name: 'Late', referralCode: legacyFree.toLowerCase() } });
      expect(late.errors?.[0].extensions).toEqual({ code: 'CONFLICT', param: 'input.referralCode', reason: 'referral.code_taken' });
      await stop(kyc);
      kyc = null;
    }, 60_000);

    it("links' start-up check names the collisions stored, at every start, and counts them in referral_code_collisions", async () => {
      await stop(links);
      links = await start('links', { LINKS_PORT: String(linksPort) });
      const output = links.output();
      expect(output).toContain('links start-up check: 1 referral code(s) belong both to a partner and to a KYC referral code');
      expect(output).toContain(`${tenantId}/${clash.toUpperCase()} (partner ${partnerId}, KYC code ${ids.clash})`);
      expect(await gauge()).toBe(1);
    }, 60_000);

    it('the internal reservation endpoint answers only a fresh principal of a tenant with kyc:write, and is idempotent by KYC code id', async () => {
      const url = `http://127.0.0.1:${linksPort}/internal/code-reservations`;
      const post = async (body: unknown, token: string | null, suffix = '') =>
        fetch(url + suffix, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { [PRINCIPAL_HEADER]: token } : {}) }, body: typeof body === 'string' ? body : JSON.stringify(body) });
      const fresh = () => signPrincipal({ tenantId, scopes: ['kyc:write'] }, key);
      const code = `Internal_${uid()}`;
      expect((await post({ code, kycCodeId: 'rc_A' }, null)).status).toBe(401);
      expect((await post({ code, kycCodeId: 'rc_A' }, await signPrincipal({ tenantId, scopes: ['kyc:write'] }, signingKey('x'.repeat(64))))).status).toBe(401);
      expect((await post({ code, kycCodeId: 'rc_A' }, await signPrincipal({ tenantId, scopes: ['links:write'] }, key))).status).toBe(403);
      expect((await post({ code, kycCodeId: 'rc_A' }, await signPrincipal({ tenantId, partnerId, scopes: ['kyc:write'] }, key))).status).toBe(403);
      const bad = await post({ code: 'a b', kycCodeId: 'rc_A' }, await fresh());
      expect([bad.status, await bad.json()]).toEqual([400, { error: { code: 'bad_request', message: 'code must be 3-64 characters of A-Z a-z 0-9 _ -' } }]);
      expect((await post('{not json', await fresh())).status).toBe(400);

      const token = await fresh();
      const first = await post({ code, kycCodeId: 'rc_A' }, token);
      expect([first.status, await first.json()]).toEqual([200, { reserved: true }]);
      expect((await post({ code, kycCodeId: 'rc_A' }, token)).status).toBe(401); // a replayed principal
      expect((await (await post({ code: code.toUpperCase(), kycCodeId: 'rc_A' }, await fresh())).json())).toEqual({ reserved: true });
      const other = await post({ code: code.toLowerCase(), kycCodeId: 'rc_B' }, await fresh());
      expect(other.status).toBe(409);
      expect(await other.json()).toMatchObject({ reserved: false, holder: { kind: 'kyc', id: 'rc_A' } });
      // A young reservation is not handed over, even when named.
      expect((await post({ code, kycCodeId: 'rc_B', replaces: 'rc_A' }, await fresh())).status).toBe(409);
      // An abandoned one (its KYC code never stored, 10 minutes on) is, to the KYC code that names it.
      const abandoned = `Abandoned_${uid()}`;
      expect((await post({ code: abandoned, kycCodeId: 'rc_D' }, await fresh())).status).toBe(200);
      await driver.ageReservation(tenantId, abandoned.toLowerCase());
      expect((await post({ code: abandoned, kycCodeId: 'rc_E' }, await fresh())).status).toBe(409);
      expect(await (await post({ code: abandoned, kycCodeId: 'rc_E', replaces: 'rc_D' }, await fresh())).json()).toEqual({ reserved: true });
      expect(await (await post({ code: abandoned, kycCodeId: 'rc_D' }, await fresh())).json()).toMatchObject({ reserved: false, holder: { kind: 'kyc', id: 'rc_E' } });
      const partnerCode = await post({ code: clash, kycCodeId: 'rc_C' }, await fresh());
      expect([partnerCode.status, ((await partnerCode.json()) as { holder: { kind: string } }).holder.kind]).toEqual([409, 'partner']);
      // Another tenant's namespace is its own.
      expect((await post({ code, kycCodeId: 'rc_Z' }, await signPrincipal({ tenantId: `${tenantId}_other`, scopes: ['kyc:write'] }, key))).status).toBe(200);

      expect(await (await post({ code, kycCodeId: 'rc_B' }, await fresh(), '/release')).json()).toEqual({ released: false });
      expect(await (await post({ code, kycCodeId: 'rc_A' }, await fresh(), '/release')).json()).toEqual({ released: true });
      expect((await post({ code, kycCodeId: 'rc_B' }, await fresh())).status).toBe(200);
      const partnerNow = await graphql(linksPort, CREATE_PARTNER, { i: { name: 'Too late', referralCode: code } });
      expect(partnerNow.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'referral.code_taken' });
    }, 60_000);
  });
}

defineStartupTests('code namespace, links and kyc as separate processes on SQLite files', sqliteDriver);
describeWithPostgres('code namespace on PostgreSQL', () => {
  defineStartupTests('links and kyc as separate processes', postgresDriver);
});
