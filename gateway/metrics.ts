import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Operation names are chosen by clients; past this many, new ones are counted as "other". */
const MAX_OPERATION_NAMES = 200;

/** The gateway's Prometheus metrics, on a registry of its own (one per gateway instance). */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly names = new Set<string>();

  readonly requests = new Counter({
    name: 'dpv_gateway_requests_total',
    help: 'GraphQL requests by operation name and outcome',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: 'dpv_gateway_request_duration_seconds',
    help: 'GraphQL request latency at the gateway',
    labelNames: ['operation'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly subgraphFetchDuration = new Histogram({
    name: 'dpv_gateway_subgraph_fetch_duration_seconds',
    help: 'Latency of requests from the gateway to each subgraph',
    labelNames: ['subgraph'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly subgraphErrors = new Counter({
    name: 'dpv_gateway_subgraph_errors_total',
    help: 'Failed subgraph requests (unreachable, timed out, HTTP error) by subgraph and code',
    labelNames: ['subgraph', 'code'] as const,
    registers: [this.registry],
  });
  readonly websocketConnections = new Gauge({
    name: 'dpv_gateway_websocket_connections',
    help: 'Open WebSocket (graphql-ws) connections',
    registers: [this.registry],
  });
  readonly httpSubscriptionStreams = new Gauge({
    name: 'dpv_gateway_http_subscription_streams',
    help: 'Open HTTP responses streaming a subscription, by transport (multipart, sse)',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });

  readonly subscriptionsActive = new Gauge({
    name: 'dpv_gateway_subscriptions_active',
    help: 'Subscriptions under way, over every transport',
    registers: [this.registry],
  });
  readonly subscriptionEvents = new Counter({
    name: 'dpv_gateway_subscription_events_total',
    help: 'Subscription events delivered to clients',
    registers: [this.registry],
  });
  readonly subscriptionDelivery = new Histogram({
    name: 'dpv_gateway_subscription_delivery_seconds',
    help: 'From an event arriving from the subgraph to its delivery to the client (rest of the plan included)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly subscriptionsInvalidated = new Counter({
    name: 'dpv_gateway_subscriptions_invalidated_total',
    help: 'Subscriptions ended by a supergraph reload that made their operation invalid',
    registers: [this.registry],
  });
  readonly supergraphReloads = new Counter({
    name: 'dpv_gateway_supergraph_reloads_total',
    help: 'Supergraph reloads by outcome: applied, unchanged (same content), failed (old one kept)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly supergraphGeneration = new Gauge({
    name: 'dpv_gateway_supergraph_generation',
    help: 'The generation served: 1 for the supergraph read at start, one more per applied reload',
    registers: [this.registry],
  });
  readonly supergraphInfo = new Gauge({
    name: 'dpv_gateway_supergraph_info',
    help: 'Always 1, labelled with the SHA-256 of the supergraph served',
    labelNames: ['hash'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'dpv_gateway_' });
  }

  /** The supergraph served now: its generation and hash. */
  servingSupergraph(generation: number, hash: string): void {
    this.supergraphGeneration.set(generation);
    this.supergraphInfo.reset();
    this.supergraphInfo.set({ hash }, 1);
  }

  /** A bounded label for an operation name. */
  operationLabel(name: string | null | undefined): string {
    if (!name) return 'anonymous';
    if (this.names.has(name)) return name;
    if (this.names.size >= MAX_OPERATION_NAMES) return 'other';
    this.names.add(name);
    return name;
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
