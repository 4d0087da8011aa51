import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { DataSource } from 'typeorm';
import { ALL_SCOPES, Fact, newId, openDataSource, Outbox, OutboxEntry, Principal, ProcessedFact, SubgraphRuntime } from '../../subgraphs/shared/src';
import { CommissionsConfig } from '../../subgraphs/commissions/src/config';
import { startConsumers } from '../../subgraphs/commissions/src/consumers';
import { fxTable } from '../../subgraphs/commissions/src/domain/fx';
import { createLoaders } from '../../subgraphs/commissions/src/loaders';
import { migrations } from '../../subgraphs/commissions/src/migrations';
import { buildCommissionsSchema } from '../../subgraphs/commissions/src/schema';
import { entities } from '../../subgraphs/commissions/src/server';
import { CommissionsDeps } from '../../subgraphs/commissions/src/services/deps';

/**
 * The commissions subgraph in-process: its schema executed directly (as the gateway's fetches would be), its real
 * bus consumers fed by `deliver` (no bus: a fact is handled only when a test delivers it, so "before the consumer
 * ran" is a state a test can hold), its clock in the test's hands, on a real database (SQLite in memory by default).
 */
export interface CommissionsHarness {
  ds: DataSource;
  tenantId: string;
  clock: { now: Date };
  /** Runs an operation as the tenant's all-scopes key; throws on errors unless `allowErrors`. */
  run(query: string, variables?: Record<string, unknown>): Promise<any>;
  runRaw(query: string, variables?: Record<string, unknown>): Promise<{ data?: any; errors?: readonly any[] }>;
  /** Hands a fact to the consumers subscribed to its type, as the bus would. */
  deliver(fact: Fact): Promise<void>;
  fact(type: string, payload: unknown, id?: string): Fact;
  /** Row counts of every table of the subgraph (a read must leave them all as they were). */
  counts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export async function openCommissions(options: { databaseUrl?: string; tenantId?: string } = {}): Promise<CommissionsHarness> {
  const { dataSource: ds } = await openDataSource(
    'commissions',
    options.databaseUrl ? { databaseUrl: options.databaseUrl, dataDir: '', poolSize: 5 } : { dataDir: ':memory:' },
    [...entities, OutboxEntry, ProcessedFact],
    migrations,
  );
  const tenantId = options.tenantId ?? 'ten_core';
  const clock = { now: new Date('2026-05-01T12:00:00.000Z') };
  const outbox = new Outbox(ds, 'commissions');
  const config = { defaultCurrency: 'USD', fxRates: '', approvalIntervalMs: 0 } as CommissionsConfig;
  const deps: CommissionsDeps = { outbox, config, fx: fxTable({ 'EUR:USD': '1.085' }), now: () => new Date(clock.now) };
  const handlers: { types: string[]; handler: (f: Fact) => Promise<void> }[] = [];
  const runtime = { outbox, dataSource: ds, consume: (o: { types: string[]; handler: (f: Fact) => Promise<void> }) => handlers.push(o) } as unknown as SubgraphRuntime;
  startConsumers(runtime, deps);
  const server = new ApolloServer({ schema: await buildCommissionsSchema(deps), plugins: [ApolloServerPluginInlineTraceDisabled()] });
  await server.start();
  const principal: Principal = { tenantId, scopes: [...ALL_SCOPES] };

  async function runRaw(query: string, variables: Record<string, unknown> = {}) {
    const res = await server.executeOperation(
      { query, variables },
      { contextValue: { principal, dataSource: ds, loaders: createLoaders(ds, principal), defaultCurrency: 'USD' } },
    );
    if (res.body.kind !== 'single') throw new Error('unexpected incremental result');
    return res.body.singleResult as { data?: any; errors?: readonly any[] };
  }

  return {
    ds,
    tenantId,
    clock,
    runRaw,
    async run(query, variables) {
      const res = await runRaw(query, variables);
      if (res.errors?.length) throw new Error(JSON.stringify(res.errors));
      return res.data;
    },
    async deliver(fact) {
      for (const h of handlers) if (h.types.includes(fact.type)) await h.handler(fact);
    },
    fact(type, payload, id = newId('fct')) {
      return { id, type, tenantId, occurredAt: new Date(clock.now).toISOString(), source: 'test', payload };
    },
    async counts() {
      const out: Record<string, number> = {};
      for (const e of ds.entityMetadatas) out[e.tableName] = await ds.getRepository(e.target).count();
      return out;
    },
    async close() {
      await server.stop();
      await ds.destroy();
    },
  };
}

/** The fields the gateway brings to ReferralEvent.commissions (`@requires`), as an `_entities` representation. */
export interface EventRep {
  id: string;
  eventType: string;
  amount: string | null;
  currency: string | null;
  isDuplicate: boolean;
  timestamp: string;
  productId: string | null;
  partnerId: string | null;
  traderId: string | null;
  refundOf?: string | null;
}

export function representation(e: EventRep) {
  return {
    __typename: 'ReferralEvent',
    id: e.id,
    eventType: e.eventType,
    amount: e.amount,
    currency: e.currency,
    isDuplicate: e.isDuplicate,
    timestamp: e.timestamp,
    productId: e.productId,
    partner: e.partnerId ? { id: e.partnerId } : null,
    trader: e.traderId ? { id: e.traderId } : null,
  };
}

/** The `event.recorded` payload events publishes for an event (the fields commissions reads). */
export function eventRecorded(e: EventRep, refunded: EventRep | null = null) {
  const strip = (x: EventRep) => ({ ...x, refundOf: x.refundOf ?? null });
  return { event: strip(e), refunded: refunded && strip(refunded), trader: null };
}
