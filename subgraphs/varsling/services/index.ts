import { InternalScope } from '../../../platform/auth/caller.js';
import { PeerClient } from '../../../platform/http/peer.js';
import type { SubgraphRuntime, SubgraphServices } from '../../../platform/subgraph.js';
import { Dispatcher } from '../dispatch/Dispatcher.js';
import { createTransports } from '../dispatch/transports.js';
import { varslingMetrics } from './metrics.js';
import { settingsSchema, type Settings } from '../settings.js';
import { Engine } from './engine.js';

export interface Services extends SubgraphServices {
  settings: Settings;
  /** Names and varslingsadresser (null without the peer). */
  enhetsregisteret: PeerClient | null;
  /** What persons may read of an enhet's post (null without the peer). */
  meldingsboks: PeerClient | null;
  engine: Engine | null;
  dispatcher: Dispatcher | null;
}

/**
 * The engine (meldingsboks' events → notification orders) when Enhetsregisteret is known, and
 * the dispatcher (orders → e-mail and SMS).
 */
export async function startServices(runtime: SubgraphRuntime): Promise<Services> {
  const settings = settingsSchema.parse(runtime.settings);
  const url = runtime.peers.enhetsregisteret;
  const enhetsregisteret = url
    ? new PeerClient('enhetsregisteret', url, runtime.identity, 'varsling', [
        InternalScope.READ_VARSLINGSADRESSER,
        InternalScope.READ_PERSON_ROLES,
      ])
    : null;
  const meldingsboksUrl = runtime.peers.meldingsboks;
  const meldingsboks = meldingsboksUrl
    ? new PeerClient('meldingsboks', meldingsboksUrl, runtime.identity, 'varsling', [
        InternalScope.READ_PERSON_ACCESS,
      ])
    : null;
  let engine: Engine | null = null;
  if (settings.engine && enhetsregisteret) {
    engine = new Engine({
      orm: runtime.orm,
      databaseUrl: runtime.databaseUrl,
      outboxTable: settings.outboxTable,
      outboxAcknowledge: settings.outboxAcknowledge,
      outboxChannel: settings.outboxChannel,
      pollMs: settings.outboxPollMs,
      maxAttempts: settings.engineMaxAttempts,
      retryMs: settings.engineRetryMs,
      enhetsregisteret,
      meldingsboks,
      log: runtime.log,
    });
    await engine.start();
  } else if (settings.engine) {
    runtime.log.warn('no enhetsregisteret peer: new messages are not turned into notices');
  }
  if (engine && !meldingsboks) {
    runtime.log.warn("no meldingsboks peer: notices go to the enhet's varslingsadresser only");
  }
  const transports = createTransports(settings, runtime.log);
  const dispatcher = settings.dispatch
    ? new Dispatcher({
        orm: runtime.orm,
        transports,
        log: runtime.log,
        intervalMs: settings.dispatchIntervalMs,
        leaseMs: settings.dispatchLeaseMs,
        sendTimeoutMs: settings.sendTimeoutMs,
      })
    : null;
  dispatcher?.start();
  return {
    settings,
    enhetsregisteret,
    meldingsboks,
    engine,
    dispatcher,
    metrics: varslingMetrics(runtime.orm),
    close: async () => {
      await dispatcher?.stop();
      await engine?.close();
      await transports.close();
    },
  };
}
