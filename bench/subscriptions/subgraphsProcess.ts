import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SubgraphsReply, SubgraphsRequest } from './protocol.js';

export interface SubgraphsProcessOptions {
  /** Node options of the process (e.g. --cpu-prof). */
  nodeFlags: string[];
  /** The internal identity's secret, shared with the gateway. */
  secret: string;
  varslingEngine: boolean;
  /** Count the SQL statements (MikroORM's query log). */
  countQueries: boolean;
}

/**
 * The three subgraphs in one child process (bench/subscriptions/subgraphs.ts). Their log lines
 * (pino JSON, warn and worse) are counted, not printed, until {@link printLog}; anything else
 * they print is printed.
 */
export class SubgraphsProcess {
  private child: ChildProcess | undefined;
  /** The log lines since last printed, by subgraph, message and error. */
  private readonly log = new Map<string, number>();

  constructor(private readonly options: SubgraphsProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts them on `databaseUrl`; their URLs by subgraph name. */
  async start(databaseUrl: string): Promise<Record<string, string>> {
    const child = fork(fileURLToPath(new URL('./subgraphs.js', import.meta.url)), [], {
      execArgv: this.options.nodeFlags,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        try {
          const entry = JSON.parse(line) as {
            subgraph?: string;
            msg?: string;
            err?: { message?: string };
          };
          const key = `${entry.subgraph ?? '?'}: ${entry.msg ?? ''}${entry.err?.message ? ` (${entry.err.message.slice(0, 100)})` : ''}`;
          this.log.set(key, (this.log.get(key) ?? 0) + 1);
        } catch {
          console.log(`[subgraphs] ${line}`);
        }
      });
    }
    const reply = await new Promise<SubgraphsReply>((resolve) => {
      child.once('message', (m: SubgraphsReply) => resolve(m));
      child.once('exit', (code, signal) =>
        resolve({ type: 'failed', error: `ended (${signal ?? `exit code ${code}`})` }),
      );
      const request: SubgraphsRequest = {
        type: 'start',
        databaseUrl,
        secret: this.options.secret,
        varslingEngine: this.options.varslingEngine,
        countQueries: this.options.countQueries,
      };
      child.send(request);
    });
    if (reply.type !== 'started') {
      throw new Error(`subgraphs: ${reply.type === 'failed' ? reply.error : 'no start'}`);
    }
    return reply.urls;
  }

  /** Prints the log lines counted since last printed, and forgets them. */
  printLog(when: string): void {
    for (const [key, n] of this.log) console.log(`  subgraph log ${when}: ${n}× ${key}`);
    this.log.clear();
  }

  /** The SQL statements since the last call, by subgraph and statement. */
  async queries(): Promise<Record<string, number>> {
    const child = this.child;
    if (!child?.connected) return {};
    return new Promise((resolve) => {
      const onMessage = (m: SubgraphsReply) => {
        if (m.type !== 'queries') return;
        child.off('message', onMessage);
        resolve(m.counts);
      };
      child.on('message', onMessage);
      child.send({ type: 'queries' });
    });
  }

  /** Asks the process to close, and kills it after 15 s. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.connected) child.send({ type: 'close' });
    else child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}
