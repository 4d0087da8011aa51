import 'reflect-metadata';
import { printSubgraphSchema } from '@apollo/subgraph';
import { composeServices } from '@apollo/composition';
import { parse, printSchema } from 'graphql';
import { Supergraph } from '@apollo/federation-internals';
import { relaxServiceBoundaries } from '../gateway/src/degrade/nullable-boundaries';
import { buildCommissionsSchema } from '../subgraphs/commissions/src/schema';
import { buildEventsSchema } from '../subgraphs/events/src/schema';
import { buildKycSchema } from '../subgraphs/kyc/src/schema';
import { buildLinksSchema } from '../subgraphs/links/src/schema';

/** Every subgraph with the SDL its code produces and its default routing URL. */
export async function subgraphSdls(): Promise<{ name: string; url: string; sdl: string }[]> {
  const builders: [string, number, () => Promise<import('graphql').GraphQLSchema>][] = [
    ['links', 4001, () => buildLinksSchema(null)],
    ['events', 4002, () => buildEventsSchema(null)],
    ['kyc', 4003, () => buildKycSchema(null)],
    ['commissions', 4004, () => buildCommissionsSchema(null)],
  ];
  const out = [];
  for (const [name, port, build] of builders) out.push({ name, url: `http://localhost:${port}/graphql`, sdl: printSubgraphSchema(await build()) });
  return out;
}

export interface Composition {
  subgraphs: { name: string; url: string; sdl: string }[];
  supergraph?: string;
  errors: string[];
}

export async function compose(): Promise<Composition> {
  const subgraphs = await subgraphSdls();
  const result = composeServices(subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })));
  if (result.errors?.length) return { subgraphs, errors: result.errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`) };
  return { subgraphs, supergraph: result.supergraphSdl, errors: [] };
}

/**
 * The schema clients see at /graphql, as SDL: the API schema (no federation directives) of the
 * supergraph as the gateway serves it (relaxServiceBoundaries: fields a service that is away
 * would take down are nullable). schema/api.graphql; client code generators read it.
 */
export function apiSchemaSdl(supergraphSdl: string): string {
  const served = relaxServiceBoundaries(supergraphSdl).sdl;
  return printSchema(Supergraph.build(served).apiSchema().toGraphQLJSSchema()).trimEnd() + '\n';
}
