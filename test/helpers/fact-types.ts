import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? sources(p) : d.name.endsWith('.ts') ? [p] : [];
  });
}

/**
 * Every fact type the code publishes, read from the code itself: each `emit('<type>', ...)` in
 * subgraphs/<name>/src (facts reach the outbox only through emit), with the subgraphs whose outbox
 * holds it. A fact type added later is in this list without anyone editing a test.
 */
export function factTypesInCode(): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  const base = path.join(ROOT, 'subgraphs');
  for (const subgraph of fs.readdirSync(base)) {
    const src = path.join(base, subgraph, 'src');
    if (subgraph === 'shared' || !fs.existsSync(src)) continue;
    for (const file of sources(src)) {
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/\bemit\(\s*'([a-z_.]+)'/g)) {
        if (!out.has(m[1])) out.set(m[1], new Set());
        out.get(m[1])!.add(subgraph);
      }
    }
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)).map(([t, s]) => [t, [...s].sort()]));
}
