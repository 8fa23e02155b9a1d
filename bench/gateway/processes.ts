import os from 'node:os';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';

/** Last lines a child printed, to show when it fails. */
export class Tail {
  private text = '';
  constructor(private readonly limit = 4000) {}
  add(chunk: Buffer): void {
    this.text = (this.text + chunk.toString('utf8')).slice(-this.limit);
  }
  toString(): string {
    return this.text.trim();
  }
}

export interface LaunchOptions {
  /** Command and arguments, run in `cwd`. */
  command: string[];
  cwd: string;
  /** Set in the child's environment (the rest is inherited). */
  env?: Record<string, string>;
  /** Removed from the child's environment. */
  unset?: string[];
  /** Pins the child to this CPU with taskset. */
  cpu?: number | undefined;
}

export interface Launched {
  child: ChildProcess;
  output: Tail;
  /** Resolves with the exit code (or signal) once the child has ended. */
  exited: Promise<string>;
}

/**
 * Starts a process through `env` (so that its environment is this one's with some variables set
 * or removed) and, when given a CPU, `taskset`; both exec, so the pid is the program's own.
 */
export function launch(o: LaunchOptions): Launched {
  const argv = [
    ...(o.cpu === undefined ? [] : ['taskset', '-c', String(o.cpu)]),
    'env',
    ...(o.unset ?? []).flatMap((name) => ['-u', name]),
    ...Object.entries(o.env ?? {}).map(([name, value]) => `${name}=${value}`),
    ...o.command,
  ];
  const child = spawn(argv[0]!, argv.slice(1), { cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = new Tail();
  child.stdout.on('data', (c: Buffer) => output.add(c));
  child.stderr.on('data', (c: Buffer) => output.add(c));
  const exited = new Promise<string>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? `exit code ${code}`)),
  );
  return { child, output, exited };
}

/** Ends a launched process: SIGTERM, then SIGKILL if it is still there after `graceMs`. */
export async function stop(p: Launched, graceMs = 5000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

/** A port free on loopback just now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether `taskset` exists and this machine has the CPUs asked for. */
export function canPin(cpus: number[], available: number): boolean {
  const taskset = spawnSync('taskset', ['--version'], { stdio: 'ignore' });
  return taskset.status === 0 && cpus.every((c) => c < available);
}

/**
 * The gateway's CPU and everyone else's from `--cpus` (`0,1` or `none`), pinning this process to
 * the second when it can; both undefined when nothing is pinned.
 */
export function pinFromFlag(cpus: string): {
  pinned: boolean;
  gatewayCpu: number | undefined;
  restCpu: number | undefined;
  /** Says what was pinned, for the report. */
  describe: (rest: string) => string;
} {
  const asked = cpus === 'none' ? [] : cpus.split(',').map(Number);
  const pinned = asked.length === 2 && canPin(asked, os.availableParallelism());
  const [gatewayCpu, restCpu] = pinned ? asked : [undefined, undefined];
  if (pinned) pinSelf(restCpu!);
  const describe = (rest: string) =>
    pinned
      ? `pinning (taskset): gateway on CPU ${gatewayCpu}; ${rest} and this process on CPU ${restCpu}`
      : `pinning: none (${cpus === 'none' ? 'asked for none' : `needs taskset and CPUs ${cpus}`}); figures share every CPU`;
  return { pinned, gatewayCpu, restCpu, describe };
}

/** Pins every thread of this process (and so whatever it starts from now on) to `cpu`. */
export function pinSelf(cpu: number): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`taskset failed: ${r.stderr}`);
}

/** Busy and total jiffies of each CPU so far (from /proc/stat), to tell how busy it was. */
export function cpuTimes(): Map<number, { busy: number; total: number }> {
  const times = new Map<number, { busy: number; total: number }>();
  if (!existsSync('/proc/stat')) return times;
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const v = m[2]!.trim().split(/\s+/).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    times.set(Number(m[1]), { busy: total - idle, total });
  }
  return times;
}

/** Percent busy of `cpu` between two {@link cpuTimes} readings. */
export function busyPercent(
  before: ReturnType<typeof cpuTimes>,
  after: ReturnType<typeof cpuTimes>,
  cpu: number,
): number | undefined {
  const a = before.get(cpu);
  const b = after.get(cpu);
  if (!a || !b || b.total === a.total) return undefined;
  return (100 * (b.busy - a.busy)) / (b.total - a.total);
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** USER_HZ: Linux reports process times in these units; 100 on every common platform. */
const CLOCK_TICKS = 100;

/**
 * CPU seconds a process's threads have run so far, in nanoseconds' precision (the sum of
 * /proc/<pid>/task/<tid>/schedstat), falling back to {@link processCpuSeconds}' clock ticks.
 */
export function processCpuPrecise(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    }
    return ns / 1e9;
  } catch {
    return processCpuSeconds(pid);
  }
}

/** Resident memory of a process now and at its peak, in MiB (from /proc/<pid>/status). */
export function processMemory(pid: number | undefined): { rss: number; peak: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1]);
    return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}
