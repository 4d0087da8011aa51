import { ConfigError } from './config';
import { RunningService } from './server';

/**
 * The body of every `index.ts`: start, print a start-up failure plainly and exit 1,
 * stop gracefully on SIGTERM / SIGINT and exit 0.
 */
export function runMain(what: string, start: () => Promise<RunningService | RunningService[]>): void {
  let services: RunningService[] = [];
  let stopping = false;
  const stopAll = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${what}: ${signal} received, draining...\n`);
    const force = setTimeout(() => {
      process.stderr.write(`${what}: did not stop within 10 s, exiting\n`);
      process.exit(1);
    }, 10_000);
    force.unref();
    // Stop in reverse start order: the gateway first, then the subgraphs behind it.
    for (const s of [...services].reverse()) await s.stop().catch((err) => process.stderr.write(`${s.name}: stop failed: ${err}\n`));
    process.exit(0);
  };
  process.on('SIGTERM', () => void stopAll('SIGTERM'));
  process.on('SIGINT', () => void stopAll('SIGINT'));
  start()
    .then((s) => {
      services = Array.isArray(s) ? s : [s];
      if (stopping) void stopAll('signal');
    })
    .catch((err) => {
      const message = err instanceof ConfigError ? err.message : (err as Error)?.message ?? String(err);
      process.stderr.write(`${what} could not start: ${message}\n`);
      process.exit(1);
    });
}
