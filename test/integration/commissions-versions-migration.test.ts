import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configureLogger, dateParam, DbConfig, openDataSource, OutboxEntry, ProcessedFact, sql } from '../../subgraphs/shared/src';
import { migrations } from '../../subgraphs/commissions/src/migrations';
import { entities } from '../../subgraphs/commissions/src/server';
import { createDatabase, describeWithPostgres } from '../helpers/services';

/**
 * Upgrading a commissions database written before plan versions and holds in hours: every plan gets its terms as
 * version 1, every commission a dueAt (occurred_at + the plan's hold when that lands on the stored holdUntil, else
 * holdUntil at 00:00 UTC), and every event already applied an applied_events row.
 */
beforeAll(() => configureLogger('silent'));

const BEFORE = migrations.findIndex((m) => m.name === 'PlanVersionsHolds1765000100000');

async function upgrade(db: DbConfig): Promise<Record<string, any[]>> {
  const { dataSource: old } = await openDataSource('commissions', db, [OutboxEntry, ProcessedFact], migrations.slice(0, BEFORE));
  const at = (iso: string) => dateParam(old, new Date(iso));
  await old.query(
    sql(old, `INSERT INTO commission_plans (id, tenant_id, name, currency, hold_days, product_id, is_default, sale_percentage, rules, created_at, updated_at) VALUES (?, 'ten_m', 'Old', 'USD', 2, NULL, ?, NULL, ?, ?, ?)`),
    ['cpl_old', true, JSON.stringify([{ kind: 'REVSHARE', percentage: '10', tierRates: [] }]), at('2026-01-01T00:00:00Z'), at('2026-01-02T00:00:00Z')],
  );
  const insert = (id: string, planId: string | null, occurredAt: string, holdUntil: string, eventId: string | null) =>
    old.query(
      sql(
        old,
        `INSERT INTO commissions (id, tenant_id, partner_id, source_key, event_id, trader_id, plan_id, kind, tier, rule_index, base_amount, amount_minor, currency, fx_rate, event_amount, event_currency, status, hold_until, occurred_at, created_at)
         VALUES (?, 'ten_m', 'prt_1', ?, ?, NULL, ?, 'REVSHARE', 0, 0, NULL, 1000, 'USD', NULL, '100', 'USD', 'PENDING', ?, ?, ?)`,
      ),
      [id, eventId ?? `kyc:${id}`, eventId, planId, holdUntil, at(occurredAt), at(occurredAt)],
    );
  await insert('com_a', 'cpl_old', '2026-03-10T20:33:00Z', '2026-03-12', 'evt_a'); // + 2 days lands on holdUntil
  await insert('com_b', 'cpl_old', '2026-03-10T20:33:00Z', '2026-03-24', 'evt_b'); // written when the hold was 14 days
  await insert('com_c', null, '2026-03-10T20:33:00Z', '2026-03-10', null); // a KYC bonus without a plan
  await old.destroy();

  const { dataSource: ds } = await openDataSource('commissions', db, [...entities, OutboxEntry, ProcessedFact], migrations);
  try {
    const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : new Date(`${String(v).replace(' ', 'T')}Z`).toISOString());
    const commissions = (await ds.query(`SELECT id, due_at, plan_version FROM commissions ORDER BY id`)).map((r: any) => ({ id: r.id, dueAt: iso(r.due_at), planVersion: r.plan_version }));
    const versions = (await ds.query(`SELECT plan_id, version, hold_days, rules, effective_from FROM commission_plan_versions`)).map((r: any) => ({
      planId: r.plan_id,
      version: r.version,
      holdDays: r.hold_days,
      rules: JSON.parse(r.rules),
      effectiveFrom: iso(r.effective_from),
    }));
    const plans = await ds.query(`SELECT id, version FROM commission_plans`);
    const applied = await ds.query(`SELECT event_id, plan_id FROM applied_events ORDER BY event_id`);
    const marks = (await ds.query(`SELECT name, at FROM engine_marks`)).map((r: any) => ({ name: r.name, recent: Math.abs(Date.parse(iso(r.at)) - Date.now()) < 60_000 }));
    return { commissions, versions, plans, applied, marks };
  } finally {
    await ds.destroy();
  }
}

function expectUpgraded(r: Record<string, any[]>) {
  expect(r.commissions).toEqual([
    { id: 'com_a', dueAt: '2026-03-12T20:33:00.000Z', planVersion: 1 },
    { id: 'com_b', dueAt: '2026-03-24T00:00:00.000Z', planVersion: 1 },
    { id: 'com_c', dueAt: '2026-03-10T00:00:00.000Z', planVersion: null },
  ]);
  expect(r.versions).toEqual([{ planId: 'cpl_old', version: 1, holdDays: 2, rules: [{ kind: 'REVSHARE', percentage: '10', tierRates: [] }], effectiveFrom: '2026-01-01T00:00:00.000Z' }]);
  expect(r.plans).toEqual([{ id: 'cpl_old', version: 1 }]);
  // Events recorded before the upgrade count as applied for reads: they show what the old consumer stored.
  expect(r.marks).toEqual([{ name: 'events_applied_before', recent: true }]);
  expect(r.applied).toEqual([
    { event_id: 'evt_a', plan_id: 'cpl_old' },
    { event_id: 'evt_b', plan_id: 'cpl_old' },
  ]);
}

describe('upgrading commissions to plan versions and holds in hours', () => {
  it('on SQLite', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rgw-versions-'));
    try {
      expectUpgraded(await upgrade({ dataDir: dir }));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeWithPostgres('upgrading commissions to plan versions and holds in hours, on PostgreSQL', () => {
  it('on PostgreSQL', async () => {
    const db = await createDatabase('rgw_versions');
    try {
      expectUpgraded(await upgrade({ databaseUrl: db.url, dataDir: '', poolSize: 3 }));
    } finally {
      await db.drop();
    }
  });
});
