import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../test/helpers/harness';

/** Writes a benchmark's result to bench/results/<name>.json and prints it as one JSON line. */
export function report(name: string, result: object): void {
  const out = path.join(ROOT, 'bench', 'results', `${name}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result));
}
