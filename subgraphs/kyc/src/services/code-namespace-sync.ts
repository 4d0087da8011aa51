import { In } from 'typeorm';
import { logger, SubgraphRuntime } from '../../../shared/src';
import { SYNC_BATCH } from '../domain/code-namespace';
import { ReferralCode } from '../entities/referral-code.entity';
import { CodeNamespace } from '../external/links-code-namespace';

/** How often the start-up sync tries again while links cannot be reached. */
const RETRY_MS = 5000;

/**
 * KYC codes stored before links kept the one namespace of codes (their `reserved_at` is null)
 * are reported to links once kyc starts, and tried again every 5 s until links has heard of all
 * of them. Links reserves each one, unless a partner already holds it: such a collision stays
 * unconfirmed and is named in a warning here and in links (`referral_code_collisions`).
 */
export function startCodeNamespaceSync(runtime: SubgraphRuntime, namespace: CodeNamespace): void {
  const log = logger('kyc.codes');
  const ds = runtime.dataSource;
  let done = false;
  let running = false;
  const pass = async () => {
    if (done || running) return;
    running = true;
    try {
      let confirmed = 0;
      const collisions: string[] = [];
      let after: { tenantId: string; id: string } | null = null;
      for (;;) {
        const qb = ds.getRepository(ReferralCode).createQueryBuilder('c').where('c.reserved_at IS NULL');
        if (after) qb.andWhere('(c.tenant_id > :t OR (c.tenant_id = :t AND c.id > :id))', { t: after.tenantId, id: after.id });
        const rows = await qb.orderBy('c.tenant_id', 'ASC').addOrderBy('c.id', 'ASC').take(SYNC_BATCH).getMany();
        if (!rows.length) break;
        const byTenant = new Map<string, ReferralCode[]>();
        for (const r of rows) byTenant.set(r.tenantId, [...(byTenant.get(r.tenantId) ?? []), r]);
        for (const [tenantId, codes] of byTenant) {
          const results = await namespace.sync(tenantId, codes.map((c) => ({ code: c.referralCode, kycCodeId: c.id })));
          if (!results) throw new Error('links refused the sync request');
          const reserved = results.filter((r) => r.reserved).map((r) => r.kycCodeId);
          if (reserved.length) await ds.getRepository(ReferralCode).update({ id: In(reserved) }, { reservedAt: new Date() });
          confirmed += reserved.length;
          for (const r of results.filter((x) => !x.reserved)) {
            const code = codes.find((c) => c.id === r.kycCodeId);
            collisions.push(`${tenantId}/${code?.referralCode ?? r.kycCodeId} (KYC code ${r.kycCodeId}, partner ${r.partnerId ?? '?'})`);
          }
        }
        const last = rows[rows.length - 1];
        after = { tenantId: last.tenantId, id: last.id };
      }
      done = true;
      if (confirmed) log.info({ confirmed }, 'KYC codes stored before the shared code namespace are now reserved in links');
      if (collisions.length) {
        log.warn(
          { collisions: collisions.length },
          `${collisions.length} KYC referral code(s) are also a partner's code, stored before partner and KYC codes shared one namespace per tenant; trackEvent(referralCode) credits the partner for them: ${collisions.slice(0, 50).join('; ')}${collisions.length > 50 ? `, and ${collisions.length - 50} more` : ''}`,
        );
      }
    } catch (err) {
      log.warn({ err: (err as Error).message }, `could not report the KYC codes stored before the shared code namespace to links; trying again in ${RETRY_MS / 1000} s`);
    } finally {
      running = false;
    }
  };
  void pass();
  runtime.every(RETRY_MS, pass);
}
