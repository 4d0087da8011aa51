import { parseArgs } from 'node:util';
import { signingKey, signPrincipal, ALL_SCOPES } from '../subgraphs/shared/src';
import { gqlBatchClient, startEmbedded } from '../test/helpers/harness';
import { sqlStatements } from '../test/helpers/metrics';
import { countArg, report } from './report';

/**
 * Batched lookups: the SQL statements each subgraph sends to resolve N entity
 * references in one `_entities` request (what the gateway sends when a list from one
 * subgraph selects fields of another), at N = 1, 50 and N (default 500), over HTTP
 * against the running embedded product, counted by `sql_statements_total` on the
 * gateway's /metrics. The count must not grow with N.
 */
const { values } = parseArgs({ options: { references: { type: 'string', default: '500' } } });
const N = countArg('references', values.references, 10_000);
const REPEAT = 3;

const LOOKUPS: { subgraph: string; type: string; selection: string }[] = [
  { subgraph: 'links', type: 'Partner', selection: 'name referralCode referralUrl clickCount' },
  { subgraph: 'events', type: 'Partner', selection: 'registrationCount' },
  { subgraph: 'commissions', type: 'Partner', selection: 'incomePercentage earnings { totalIncome currency }' },
  { subgraph: 'kyc', type: 'KycApplication', selection: 'status email' },
];

async function main() {
  // Pollers at a minute so that they do not add statements while a lookup is counted.
  const stack = await startEmbedded({ OUTBOX_POLL_MS: '60000', POSTBACK_POLL_MS: '60000' });
  try {
    const batch = gqlBatchClient(stack.gatewayUrl, stack.apiKey);
    const ids: Record<string, string[]> = { Partner: [], KycApplication: [] };
    for (let i = 0; i < N; i += 20) {
      const n = Math.min(20, N - i);
      const partners = await batch(Array.from({ length: n }, (_, j) => ({ query: `mutation { createPartner(input: { name: "Partner ${i + j}", email: "p${i + j}@bench.test" }) { id } }` })));
      ids.Partner.push(...partners.map((d) => d.createPartner.id));
      const kyc = await batch(Array.from({ length: n }, (_, j) => ({ query: `mutation { startKyc(input: { userId: "u${i + j}", email: "u${i + j}@bench.test", country: "DE" }) { id } }` })));
      ids.KycApplication.push(...kyc.map((d) => d.startKyc.id));
    }

    const statements = () => sqlStatements(`${stack.origin}/metrics`);
    const key = signingKey(stack.principalSecret);
    const lookup = async (subgraph: string, type: string, selection: string, refs: string[]) => {
      const principal = await signPrincipal({ tenantId: stack.tenantId, scopes: [...ALL_SCOPES] }, key);
      const res = await fetch(stack.subgraphUrls[subgraph], {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gateway-principal': principal },
        body: JSON.stringify({
          query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on ${type} { id ${selection} } } }`,
          variables: { r: refs.map((id) => ({ __typename: type, id })) },
        }),
      });
      const body = (await res.json()) as { data?: { _entities: ({ id: string } | null)[] }; errors?: unknown[] };
      if (body.errors || !body.data) throw new Error(`${subgraph}: ${JSON.stringify(body.errors)}`);
      const found = body.data._entities.filter((e) => e?.id).length;
      if (found !== refs.length) throw new Error(`${subgraph}: ${found} of ${refs.length} ${type} references resolved`);
    };

    const sizes = [...new Set([1, Math.min(50, N), N])];
    const perSubgraph: Record<string, Record<string, number>> = {};
    for (const l of LOOKUPS) {
      perSubgraph[l.subgraph] = {};
      for (const size of sizes) {
        // The least of a few runs: a stray background statement only ever adds.
        let least = Infinity;
        for (let i = 0; i < REPEAT; i++) {
          const before = await statements();
          await lookup(l.subgraph, l.type, l.selection, ids[l.type].slice(0, size));
          const after = await statements();
          least = Math.min(least, (after[l.subgraph] ?? 0) - (before[l.subgraph] ?? 0));
        }
        perSubgraph[l.subgraph][`${size} ${l.type}`] = least;
      }
    }
    const constant = Object.values(perSubgraph).every((bySize) => new Set(Object.values(bySize)).size === 1);
    const result = { benchmark: 'batched-lookups', references: N, sqlStatements: perSubgraph, constantInReferences: constant };
    report('lookups', result);
  } finally {
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
