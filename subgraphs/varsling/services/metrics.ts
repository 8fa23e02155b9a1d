import { Gauge, Registry } from 'prom-client';
import type { MikroORM } from '../../../platform/db/orm.js';

/** Varsling's metrics, read at each scrape: parked events (alert on any) and due notices. */
export function varslingMetrics(orm: MikroORM) {
  const registry = new Registry();
  const parked = new Gauge({
    name: 'dpv_varsling_parked_events',
    help: 'Events the engine parked, waiting for an admin (alert when above 0)',
    registers: [registry],
  });
  const due = new Gauge({
    name: 'dpv_varsling_notifications_due',
    help: 'Notifications due now and not yet sent (New or Sending)',
    registers: [registry],
  });
  return async (): Promise<{ contentType: string; body: string }> => {
    const [row] = await orm.em
      .fork()
      .getConnection()
      .execute<Array<{ parked: number; due: number }>>(
        `select (select count(*)::int from parked_event where status = 'Parked') as parked,
              (select count(*)::int from notification
                where status in ('New', 'Sending') and next_attempt_at <= now()) as due`,
      );
    parked.set(row?.parked ?? 0);
    due.set(row?.due ?? 0);
    return { contentType: registry.contentType, body: await registry.metrics() };
  };
}
