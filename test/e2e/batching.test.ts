import { Stack, startEmbedded } from '../helpers/harness';
import { sqlStatements } from '../helpers/metrics';

/**
 * Fetches that one query sends to one subgraph at the same time leave as one batched
 * HTTP request, whose operations share the subgraph's loaders: 150 partners read as three
 * aliased pages cost each other subgraph one SQL statement, not one per page.
 */
describe('batched subgraph fetches', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Pollers at a minute, so that they add no statements while one is counted.
    stack = await startEmbedded({ OUTBOX_POLL_MS: '60000', POSTBACK_POLL_MS: '60000' });
  }, 60_000);
  afterAll(async () => {
    expect(await stack?.stop()).toEqual([0]);
  });

  const post = async (body: unknown) => {
    const res = await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': stack.apiKey }, body: JSON.stringify(body) });
    return (await res.json()) as any;
  };
  const statements = () => sqlStatements(`${stack.origin}/metrics`);

  it('three pages of 50 partners with events and commissions fields cost one statement in each of those subgraphs', async () => {
    for (let i = 0; i < 150; i += 20) {
      const made = await post(Array.from({ length: Math.min(20, 150 - i) }, (_, j) => ({ query: `mutation { createPartner(input: { name: "Batch ${i + j}" }) { id } }` })));
      for (const r of made) expect(r.errors).toBeUndefined();
    }
    const first = await post({ query: '{ partners(first: 50) { pageInfo { endCursor } } }' });
    const second = await post({ query: `query($a: String) { partners(first: 50, after: $a) { pageInfo { endCursor } } }`, variables: { a: first.data.partners.pageInfo.endCursor } });
    const cursors = [null, first.data.partners.pageInfo.endCursor, second.data.partners.pageInfo.endCursor];
    const query = `query { ${cursors
      .map((c, i) => `p${i}: partners(first: 50${c ? `, after: "${c}"` : ''}) { nodes { id name registrationCount earnings { pendingIncome currency } } }`)
      .join(' ')} }`;

    const before = await statements();
    const answer = await post({ query });
    const after = await statements();
    expect(answer.errors).toBeUndefined();
    const nodes = [answer.data.p0.nodes, answer.data.p1.nodes, answer.data.p2.nodes].flat();
    expect(new Set(nodes.map((n: { id: string }) => n.id)).size).toBe(150);
    for (const n of nodes) expect(n).toMatchObject({ registrationCount: 0, earnings: { pendingIncome: '0.00', currency: 'USD' } });
    expect(after.events - before.events).toBe(1);
    expect(after.commissions - before.commissions).toBe(1);
  }, 60_000);
});
