import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type express from 'express';

export interface Tracing {
  /** Sends what is buffered and stops. */
  shutdown(): Promise<void>;
  forceFlush(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing to an OTLP/HTTP collector, or nothing when no endpoint is set (the
 * API's no-op tracer then costs next to nothing). W3C trace context crosses the gateway and
 * subgraphs in `traceparent` headers.
 */
export function startTracing(serviceName: string, endpoint: string | undefined): Tracing | null {
  if (!endpoint) return null;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [
      new BatchSpanProcessor(
        new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` }),
      ),
    ],
  });
  provider.register();
  return { shutdown: () => provider.shutdown(), forceFlush: () => provider.forceFlush() };
}

/**
 * Express middleware: one server span per GraphQL request, a child of the caller's trace when
 * its headers carry one, active for everything the request does.
 */
export function traceRequests(component: string) {
  const tracer = trace.getTracer(`dpv-graph/${component}`);
  return (req: express.Request, res: express.Response, next: express.NextFunction) => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(
      `${component} ${req.method} ${req.baseUrl}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': req.method, 'dpv.component': component },
      },
      parent,
    );
    res.on('finish', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}

/** The span of the request being served, if tracing is on. */
export function activeSpan(): Span | undefined {
  return trace.getActiveSpan();
}

/** Writes the active trace context into outgoing headers. */
export function injectTraceContext(set: (name: string, value: string) => void): void {
  propagation.inject(context.active(), {}, { set: (_carrier, key, value) => set(key, value) });
}
