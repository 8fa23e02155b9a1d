import { Gauge, Registry } from 'prom-client';
import type { MikroORM } from '../../../platform/db/orm.js';
import type { OutboxRelay } from '../../../platform/events/relay.js';

/** A consumer behind the head whose position has not moved for this long is stuck. */
export const STUCK_AFTER_S = 300;

/**
 * Meldingsboks' event metrics, read from the database at each scrape (one query): the head, rows
 * the relay has not positioned yet, and each registered consumer's position, lag and whether it
 * is stuck. Labels carry consumer names only.
 */
export function outboxMetrics(orm: MikroORM, relay: OutboxRelay) {
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const head = gauge('dpv_outbox_head_position', 'Newest positioned outbox event');
  const unpositioned = gauge(
    'dpv_outbox_unpositioned_events',
    'Outbox rows committed but not yet positioned by the relay (near 0 when the relay keeps up)',
  );
  const pruned = gauge('dpv_outbox_pruned_through', 'Every outbox position at or below is pruned');
  const position = gauge('dpv_outbox_consumer_position', "A consumer's handled position", [
    'consumer',
  ]);
  const lag = gauge('dpv_outbox_consumer_lag_events', 'Events a consumer has not handled yet', [
    'consumer',
  ]);
  const stuck = gauge(
    'dpv_outbox_consumer_stuck',
    `1 when a consumer is behind and has not moved for ${STUCK_AFTER_S} s (alert on it)`,
    ['consumer'],
  );
  const leading = gauge('dpv_outbox_relay_leading', "1 while this instance's relay leads");

  return async (): Promise<{ contentType: string; body: string }> => {
    const [row] = await orm.em
      .fork()
      .getConnection()
      .execute<
        Array<{ head: string; unpositioned: number; pruned: string; consumers: Consumer[] | null }>
      >(
        `select (select coalesce(max(position), 0) from outbox)::text as head,
              (select count(*)::int from outbox where position is null) as unpositioned,
              (select pruned_through::text from outbox_retention) as pruned,
              (select json_agg(json_build_object('name', name, 'position', position,
                        'still', extract(epoch from now() - updated_at)))
                 from outbox_consumer) as consumers`,
      );
    const newest = Number(row?.head ?? 0);
    head.set(newest);
    unpositioned.set(row?.unpositioned ?? 0);
    pruned.set(Number(row?.pruned ?? 0));
    for (const g of [position, lag, stuck]) g.reset();
    for (const c of row?.consumers ?? []) {
      const behind = Math.max(0, newest - Number(c.position));
      position.set({ consumer: c.name }, Number(c.position));
      lag.set({ consumer: c.name }, behind);
      stuck.set({ consumer: c.name }, behind > 0 && c.still > STUCK_AFTER_S ? 1 : 0);
    }
    leading.set(relay.leading ? 1 : 0);
    return { contentType: registry.contentType, body: await registry.metrics() };
  };
}

interface Consumer {
  name: string;
  position: number | string;
  /** Seconds since the consumer last acknowledged. */
  still: number;
}
