import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../test/helpers/harness';
import { postgresAvailable, postgresUrl, redisAvailable, redisUrl } from '../test/helpers/servers';

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

/** A benchmark of the production layout stops (exit 3) saying which server it could not reach. */
export async function requirePostgresAndRedis(benchmark: string): Promise<void> {
  const missing = [!(await postgresAvailable()) && `PostgreSQL at ${postgresUrl}`, !(await redisAvailable()) && `Redis at ${redisUrl}`].filter(Boolean);
  if (missing.length) {
    console.error(`the ${benchmark} benchmark runs the production layout and needs ${missing.join(' and ')} (TEST_DATABASE_URL / TEST_REDIS_URL pick others)`);
    process.exit(3);
  }
}
