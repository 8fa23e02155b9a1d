import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../platform/runtime/logger.js';
import type { FederationExecutor } from './executor/index.js';
import { supergraphHash, type Generation } from './generation.js';
import type { GatewayMetrics } from './metrics.js';

/** What one reload did: swapped in a new generation, found the same content, or kept the old. */
export type ReloadOutcome = 'applied' | 'unchanged' | 'failed';

export interface SupergraphReloaderOptions {
  /** The supergraph file. */
  path: string;
  executor: FederationExecutor;
  /** Builds generation `number` from `sdl`; throws when the supergraph is not usable. */
  build: (sdl: string, number: number) => Generation;
  /** Called after a swap, with the generation that was current before. */
  onApplied?: (next: Generation, previous: Generation) => void;
  metrics: GatewayMetrics;
  log: Logger;
}

export interface WatchOptions {
  /**
   * Quiet time after the last change in the directory before the file is read: a file written in
   * pieces is read once, when done. @default 250
   */
  debounceMs?: number;
}

/**
 * Reloads the supergraph without a restart, on SIGHUP or when its file changes. The file is read,
 * hashed (the same content does nothing), parsed and planned into a new {@link Generation},
 * which is swapped in as a whole; a supergraph that fails is logged and counted, and the gateway
 * goes on serving the one it has. Reloads run one at a time.
 */
export class SupergraphReloader {
  private chain: Promise<unknown> = Promise.resolve();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SupergraphReloaderOptions) {}

  /** Reads the file and swaps it in when it changed and is valid; `trigger` is for the log. */
  reload(trigger: string): Promise<ReloadOutcome> {
    const run = this.chain.then(() => this.attempt(trigger));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Watches the file's directory, not the file: an atomic replace (a temporary file renamed over
   * it, or a Kubernetes ConfigMap's symlink swap) gives the path a new inode that a watch on the
   * old one would never see. Any change in the directory is debounced, then the content hash
   * decides.
   */
  watch(options: WatchOptions = {}): void {
    if (this.watcher) return;
    const debounceMs = options.debounceMs ?? 250;
    this.watcher = watch(path.dirname(path.resolve(this.options.path)), () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.reload('file changed'), debounceMs);
      this.timer.unref();
    });
    this.watcher.on('error', (err) =>
      this.options.log.error({ err }, 'supergraph watch failed: reload with SIGHUP'),
    );
    this.watcher.unref();
  }

  /** Stops watching; a reload under way finishes. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
    await this.chain;
  }

  private async attempt(trigger: string): Promise<ReloadOutcome> {
    const { executor, metrics, log } = this.options;
    const previous = executor.generation;
    let next: Generation;
    let buildMs: number;
    try {
      const sdl = await readFile(this.options.path, 'utf8');
      if (supergraphHash(sdl) === previous.hash) {
        log.debug({ trigger, hash: previous.hash }, 'supergraph unchanged');
        metrics.supergraphReloads.inc({ outcome: 'unchanged' });
        return 'unchanged';
      }
      const started = performance.now();
      next = this.options.build(sdl, previous.number + 1);
      buildMs = Math.round(performance.now() - started);
    } catch (err) {
      log.error(
        { trigger, err, path: this.options.path, generation: previous.number, hash: previous.hash },
        'supergraph reload failed: still serving the previous one',
      );
      metrics.supergraphReloads.inc({ outcome: 'failed' });
      return 'failed';
    }
    executor.swap(next);
    metrics.supergraphReloads.inc({ outcome: 'applied' });
    metrics.servingSupergraph(next.number, next.hash);
    this.options.onApplied?.(next, previous);
    log.info(
      {
        trigger,
        generation: next.number,
        hash: next.hash,
        previousHash: previous.hash,
        buildMs,
      },
      'supergraph reloaded',
    );
    return 'applied';
  }
}
