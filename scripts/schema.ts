import fs from 'node:fs';
import path from 'node:path';
import { apiSchemaSdl, compose } from './subgraph-schemas';

/**
 * `npm run schema`: prints each subgraph's SDL to schema/<name>.graphql and composes
 * schema/supergraph.graphql, which the gateway loads at run time. Composition errors
 * are spelled out and nothing is written. schema/api.graphql is the schema clients see at
 * /graphql (the gateway's view: fields across a service boundary nullable, so a service that is
 * away costs only its own fields); generate client types from it.
 */
async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..', 'schema');
  const result = await compose();
  if (result.errors.length) {
    process.stderr.write(`composition failed:\n  - ${result.errors.join('\n  - ')}\n`);
    process.exit(1);
  }
  fs.mkdirSync(root, { recursive: true });
  for (const s of result.subgraphs) fs.writeFileSync(path.join(root, `${s.name}.graphql`), s.sdl.trimEnd() + '\n');
  fs.writeFileSync(path.join(root, 'supergraph.graphql'), result.supergraph!.trimEnd() + '\n');
  fs.writeFileSync(path.join(root, 'api.graphql'), apiSchemaSdl(result.supergraph!));
  process.stdout.write(`wrote ${result.subgraphs.map((s) => `schema/${s.name}.graphql`).join(', ')}, schema/supergraph.graphql and schema/api.graphql\n`);
}

main().catch((err) => {
  process.stderr.write(`schema: ${err.stack ?? err}\n`);
  process.exit(1);
});
