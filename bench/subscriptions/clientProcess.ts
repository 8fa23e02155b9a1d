import { fork, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ClientReply, ClientRequest, Status } from './protocol.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** One subscriber process (bench/subscriptions/clients.ts): requests out, answers back by id. */
export class ClientProcess {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<number, (reply: ClientReply) => void>();
  private nextId = 0;
  private exited = false;

  constructor(readonly k: number) {
    this.child = fork(fileURLToPath(new URL('./clients.js', import.meta.url)), [], {
      execArgv: ['--max-old-space-size=8192'],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (reply: ClientReply) => {
      const resolve = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      resolve?.(reply);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      for (const [, resolve] of this.waiting) {
        resolve({ id: -1, type: 'closed' });
      }
      this.waiting.clear();
      if (code !== 0 && signal !== 'SIGTERM') {
        console.error(`subscriber process ${this.k} ended: ${signal ?? `exit code ${code}`}`);
      }
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  ask(request: DistributiveOmit<ClientRequest, 'id'>): Promise<ClientReply> {
    if (this.exited) return Promise.reject(new Error(`subscriber process ${this.k} has ended`));
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.send({ ...request, id } as ClientRequest);
    });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    await Promise.race([this.ask({ type: 'close' }), sleep(30_000)]).catch(() => {});
    this.child.kill('SIGTERM');
  }
}

/** Every subscriber's status, from each process. */
export async function statuses(clients: readonly ClientProcess[]): Promise<Status[]> {
  const replies = await Promise.all(clients.map((c) => c.ask({ type: 'status' })));
  return replies.filter((r): r is Extract<ClientReply, { type: 'status' }> => r.type === 'status');
}

/** The subscribers that have not received an event yet. */
export async function readiness(clients: readonly ClientProcess[]): Promise<number[]> {
  return (await statuses(clients)).flatMap((s) => s.notReady);
}
