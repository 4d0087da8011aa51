import { DataSource, EntityManager, In } from 'typeorm';
import { Gauge, register } from 'prom-client';
import { logger } from '../../../shared/src';
import { CodeHolder, codeKey, decideReservation, decideSync, describeCollisions, ReservationRequest, StoredCollision } from '../domain/code-namespace';
import { CodeCollision, CodeReservation } from '../entities/code-reservation.entity';

/**
 * The tenant's one namespace of referral codes (see domain/code-namespace.ts). Every write
 * runs inside the caller's transaction: a partner code is reserved in the transaction that
 * stores it, so both land or neither does.
 */

export type Reservation = { reserved: true } | { reserved: false; holder: CodeHolder };

const holderOf = (row: CodeReservation): CodeHolder => ({ ownerKind: row.ownerKind, ownerId: row.ownerId, reservedAt: new Date(row.createdAt) });

/**
 * Reserves `code` for the requester, or answers who holds it. Insert-if-absent first: the
 * primary key (tenant, lower-cased code) lets exactly one of two simultaneous requests in
 * (PostgreSQL makes the second wait for the first to commit; SQLite runs one transaction at a
 * time), and the row read back says who that was.
 */
export async function reserveCode(m: EntityManager, tenantId: string, code: string, request: ReservationRequest, now = new Date()): Promise<Reservation> {
  const key = codeKey(code);
  const repo = m.getRepository(CodeReservation);
  for (let attempt = 0; attempt < 3; attempt++) {
    await repo
      .createQueryBuilder()
      .insert()
      .into(CodeReservation)
      .values({ tenantId, codeKey: key, code, ownerKind: request.ownerKind, ownerId: request.ownerId, createdAt: now })
      .orIgnore()
      .execute();
    const row = await repo.findOneBy({ tenantId, codeKey: key });
    // Released between the two statements: try again.
    if (!row) continue;
    const decision = decideReservation(holderOf(row), request, now);
    if (decision.action === 'held') return { reserved: true };
    if (decision.action === 'taken') return { reserved: false, holder: decision.holder };
    if (decision.action === 'take-over') {
      await repo.update({ tenantId, codeKey: key, ownerKind: 'kyc', ownerId: decision.from }, { ownerId: request.ownerId, code, createdAt: now });
    }
  }
  throw new Error(`could not settle the reservation of referral code ${code} after 3 attempts`);
}

/** Gives back a KYC code's reservation (its creation failed in kyc); only that KYC code's own. */
export async function releaseKycCode(m: EntityManager, tenantId: string, code: string, kycCodeId: string): Promise<boolean> {
  const result = await m.getRepository(CodeReservation).delete({ tenantId, codeKey: codeKey(code), ownerKind: 'kyc', ownerId: kycCodeId });
  return (result.affected ?? 0) > 0;
}

export interface SyncResult {
  kycCodeId: string;
  reserved: boolean;
  /** Set when a partner holds the code: a collision stored before the namespace. */
  partnerId?: string;
}

/**
 * KYC codes kyc already stores (kyc sends those it has not had confirmed, at its start):
 * each is reserved for its KYC code, unless a partner holds it, which is recorded once in
 * `code_collisions`. Returns the collisions found.
 */
export async function syncKycCodes(m: EntityManager, tenantId: string, codes: { code: string; kycCodeId: string }[], now = new Date()): Promise<SyncResult[]> {
  const repo = m.getRepository(CodeReservation);
  await repo
    .createQueryBuilder()
    .insert()
    .into(CodeReservation)
    .values(codes.map((c) => ({ tenantId, codeKey: codeKey(c.code), code: c.code, ownerKind: 'kyc' as const, ownerId: c.kycCodeId, createdAt: now })))
    .orIgnore()
    .execute();
  const rows = await repo.findBy({ tenantId, codeKey: In([...new Set(codes.map((c) => codeKey(c.code)))]) });
  const byKey = new Map(rows.map((r) => [r.codeKey, r]));
  const results: SyncResult[] = [];
  const collisions: CodeCollision[] = [];
  for (const c of codes) {
    const row = byKey.get(codeKey(c.code)) ?? null;
    const decision = decideSync(row && holderOf(row), c.kycCodeId);
    if (decision === 'insert') {
      const again = await reserveCode(m, tenantId, c.code, { ownerKind: 'kyc', ownerId: c.kycCodeId }, now);
      results.push(again.reserved ? { kycCodeId: c.kycCodeId, reserved: true } : { kycCodeId: c.kycCodeId, reserved: false, partnerId: again.holder.ownerId });
    } else if (decision === 'held') {
      results.push({ kycCodeId: c.kycCodeId, reserved: true });
    } else if (decision === 'replace') {
      await repo.update({ tenantId, codeKey: row!.codeKey, ownerKind: 'kyc', ownerId: row!.ownerId }, { ownerId: c.kycCodeId, code: c.code, createdAt: now });
      results.push({ kycCodeId: c.kycCodeId, reserved: true });
    } else {
      collisions.push(Object.assign(new CodeCollision(), { tenantId, codeKey: row!.codeKey, kycCodeId: c.kycCodeId, code: c.code, partnerId: row!.ownerId, detectedAt: now }));
      results.push({ kycCodeId: c.kycCodeId, reserved: false, partnerId: row!.ownerId });
    }
  }
  if (collisions.length) await m.createQueryBuilder().insert().into(CodeCollision).values(collisions).orIgnore().execute();
  return results;
}

function collisionsGauge(): Gauge {
  const name = 'referral_code_collisions';
  return (
    (register.getSingleMetric(name) as Gauge | undefined) ??
    new Gauge({ name, help: 'Referral codes held both by a partner (current or past code) and by a KYC referral code, stored before the two shared one namespace' })
  );
}

/**
 * The start-up check (after migrations) and the report after kyc's sync: every stored
 * collision named in one warning, and their number in `referral_code_collisions`.
 */
export async function reportStoredCollisions(ds: DataSource, when: string): Promise<StoredCollision[]> {
  const rows = await ds.getRepository(CodeCollision).find({ order: { tenantId: 'ASC', codeKey: 'ASC' } });
  collisionsGauge().set(rows.length);
  if (rows.length) {
    logger('links.codes').warn(
      { collisions: rows.length },
      `${when}: ${rows.length} referral code(s) belong both to a partner and to a KYC referral code, stored before partner and KYC codes shared one namespace per tenant; ` +
        `trackEvent(referralCode) credits the partner for them (a partner's code comes first, as before); no new one can be made: ${describeCollisions(rows)}`,
    );
  }
  return rows;
}
