import fs from 'node:fs';
import path from 'node:path';
import { apiSchemaSdl, compose } from '../../scripts/subgraph-schemas';

const SCHEMA_DIR = path.resolve(__dirname, '..', '..', 'schema');

describe('schema/ is what the code produces', () => {
  let result: Awaited<ReturnType<typeof compose>>;
  beforeAll(async () => {
    result = await compose();
  });

  it('the four subgraphs compose without errors', () => {
    expect(result.errors).toEqual([]);
    expect(result.subgraphs.map((s) => s.name)).toEqual(['links', 'events', 'kyc', 'commissions']);
  });

  it.each(['links', 'events', 'kyc', 'commissions'])('schema/%s.graphql is up to date (run npm run schema)', (name) => {
    const committed = fs.readFileSync(path.join(SCHEMA_DIR, `${name}.graphql`), 'utf8');
    const produced = result.subgraphs.find((s) => s.name === name)!.sdl.trimEnd() + '\n';
    expect(committed).toBe(produced);
  });

  it('schema/supergraph.graphql is up to date (run npm run schema)', () => {
    const committed = fs.readFileSync(path.join(SCHEMA_DIR, 'supergraph.graphql'), 'utf8');
    expect(committed).toBe(result.supergraph!.trimEnd() + '\n');
  });

  it('schema/api.graphql, the schema clients see at /graphql, is up to date (run npm run schema)', () => {
    const committed = fs.readFileSync(path.join(SCHEMA_DIR, 'api.graphql'), 'utf8');
    expect(committed).toBe(apiSchemaSdl(result.supergraph!));
    // The gateway's view: a root query field and a field across a service boundary are nullable.
    expect(committed).toMatch(/\n  partners\([^)]*\): PartnerConnection\n/);
    expect(committed).toMatch(/type ReferralEvent[^}]*\n  commissions: \[Commission!\]\n/);
  });

  it('the names the contract promises are in the supergraph', () => {
    const sdl = result.supergraph!;
    for (const name of ['createPartner', 'partner(', 'partners(', 'trackEvent(', 'createReferralCode(', 'validateReferralCode(', 'registrationCount(', 'earnings(']) {
      expect(sdl).toContain(name);
    }
    expect(sdl).toMatch(/type PageInfo[\s\S]*?hasNextPage: Boolean!/);
  });
});
