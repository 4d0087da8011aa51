/** `sql_statements_total` per database from a process's Prometheus `/metrics` (no test-runner globals: benchmarks use it too). */
export async function sqlStatements(metricsUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  return Object.fromEntries([...text.matchAll(/^sql_statements_total\{database="(\w+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
}
