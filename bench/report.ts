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

/** A command-line count: a whole number from 1 to `max`, else the script stops saying so. */
export function countArg(name: string, value: string | undefined, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    console.error(`--${name} must be a whole number from 1 to ${max}; got ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return n;
}
