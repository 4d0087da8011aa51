import fs from 'node:fs';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import { relaxServiceBoundaries } from '../../gateway/src/degrade/nullable-boundaries';

/** The gateway's view of the supergraph, in which a subgraph that is away costs only its own fields. */
describe('nullable service boundaries', () => {
  const sdl = fs.readFileSync(path.join(__dirname, '..', '..', 'schema', 'supergraph.graphql'), 'utf8');
  const api = Supergraph.build(relaxServiceBoundaries(sdl).sdl).apiSchema();
  const original = Supergraph.build(sdl).apiSchema();
  const typeOf = (schema: typeof api, type: string, field: string) => (schema.type(type) as any).field(field).type.toString();

  it('fields another subgraph serves on an entity are nullable: a committed trackEvent keeps its id without commissions', () => {
    expect(typeOf(original, 'ReferralEvent', 'commissions')).toBe('[Commission!]!');
    expect(typeOf(api, 'ReferralEvent', 'commissions')).toBe('[Commission!]');
    expect(typeOf(api, 'Partner', 'earnings')).toBe('Earnings');
    // Reached under a commission, a partner's name comes from links.
    expect(typeOf(api, 'Partner', 'name')).toBe('String');
  });

  it('keys, fields every subgraph of the type resolves, and types no one else extends keep their types', () => {
    expect(typeOf(api, 'ReferralEvent', 'id')).toBe('ID!');
    expect(typeOf(api, 'Partner', 'id')).toBe('ID!');
    expect(typeOf(api, 'CommissionConnection', 'totalCount')).toBe('Int!');
    expect(typeOf(api, 'Commission', 'amount')).toBe(typeOf(original, 'Commission', 'amount'));
  });

  it('root Query fields are nullable; Mutation and Subscription fields keep their types', () => {
    expect(typeOf(api, 'Query', 'partners')).toBe('PartnerConnection');
    expect(typeOf(api, 'Mutation', 'trackEvent')).toBe('ReferralEvent!');
    expect(typeOf(api, 'Subscription', 'conversionRecorded')).toBe(typeOf(original, 'Subscription', 'conversionRecorded'));
  });
});
