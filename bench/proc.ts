import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';

/** Figures about processes from Linux's /proc; null where unavailable (not Linux, or not allowed). */

/** CPU time (user + system) a process has used, in ms (clock ticks are 1/100 s). */
export function cpuMs(pid: number): number | null {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/** Peak resident memory of a process since its start or the last reset, in MB. */
export function peakRssMb(pid: number): number | null {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

export function resetPeakRss(pid: number): void {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // The peak then runs from the process's start.
  }
}

/** The ids of running processes with this command name (e.g. every PostgreSQL backend). */
export function pidsOf(command: string): number[] {
  try {
    return execFileSync('ps', ['-C', command, '-o', 'pid='], { encoding: 'utf8' }).split('\n').map(Number).filter((n) => n > 0);
  } catch {
    return [];
  }
}

/**
 * CPU used by groups of processes between `start()` and the returned function's call, in
 * ms; a group's pids are listed again at the end (PostgreSQL starts a backend per
 * connection), and a process that started meanwhile counts from zero.
 */
export function cpuOfGroups(groups: Record<string, () => number[]>): () => Record<string, number | null> {
  const before = new Map<number, number>();
  for (const pids of Object.values(groups)) for (const pid of pids()) before.set(pid, cpuMs(pid) ?? 0);
  return () =>
    Object.fromEntries(
      Object.entries(groups).map(([name, pids]) => {
        const now = pids().map((pid) => [pid, cpuMs(pid)] as const);
        if (now.length === 0 || now.some(([, ms]) => ms === null)) return [name, null];
        return [name, now.reduce((sum, [pid, ms]) => sum + ms! - (before.get(pid) ?? 0), 0)];
      }),
    );
}

/**
 * Runs a compiled script in its own process with `input` as JSON on its stdin, and
 * resolves with the JSON of the last line it prints; killed `seconds` + 60 s after start.
 */
export function runWorker<T>(what: string, script: string, args: string[], input: object, seconds: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const guard = setTimeout(() => child.kill('SIGKILL'), (seconds + 60) * 1000);
    child.on('exit', (code) => {
      clearTimeout(guard);
      if (code !== 0) return reject(new Error(`the ${what} process exited ${code}: ${err}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as T);
    });
    child.stdin.end(JSON.stringify(input));
  });
}
