import { Attributes, ROOT_CONTEXT, Span, SpanKind, SpanStatusCode, trace, Tracer } from '@opentelemetry/api';
import { newSpanId, newTraceId, TraceContext, traceStore } from './trace-context';

/**
 * OpenTelemetry export, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set (the exporter reads the
 * OTEL_* variables itself). Off, a span is only a fresh span id in the trace context: the ids
 * still travel and reach the logs, nothing is recorded.
 */
const providers = new Map<string, { tracer: Tracer; shutdown(): Promise<void> }>();

function tracerFor(service: string): Tracer | undefined {
  if (!tracingEnabled()) return undefined;
  let p = providers.get(service);
  if (!p) {
    // Loaded only when export is on: the SDK is not needed otherwise.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
    const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': `im-${service}` }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
    });
    p = { tracer: provider.getTracer('im'), shutdown: () => provider.shutdown() };
    providers.set(service, p);
  }
  return p.tracer;
}

/** Whether spans are exported (OTEL_EXPORTER_OTLP_ENDPOINT is set): work done only for them can be skipped otherwise. */
export function tracingEnabled(): boolean {
  return !!process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
}

/** Flushes and stops the exporters (on shutdown). */
export async function shutdownTracing(): Promise<void> {
  const all = [...providers.values()];
  providers.clear();
  await Promise.all(all.map((p) => p.shutdown().catch(() => undefined)));
}

export interface OpenSpan {
  /** The context for the span's work: its span id is the parent of whatever it calls. */
  ctx: TraceContext;
  end(error?: string, attributes?: Attributes): void;
}

export type SpanKindName = 'server' | 'client' | 'consumer' | 'internal';
const KINDS: Record<SpanKindName, SpanKind> = { server: SpanKind.SERVER, client: SpanKind.CLIENT, consumer: SpanKind.CONSUMER, internal: SpanKind.INTERNAL };

/** Starts a span of `service` under `parent` (a new trace when there is none). */
export function openSpan(service: string, name: string, parent: Omit<TraceContext, 'requestId'> | undefined, kind: SpanKindName, attributes?: Attributes): OpenSpan {
  const tracer = tracerFor(service);
  if (!tracer) {
    const ctx = { traceId: parent?.traceId ?? newTraceId(), spanId: newSpanId(), flags: parent?.flags ?? '01' };
    return { ctx, end: () => undefined };
  }
  const parentCtx = parent
    ? trace.setSpanContext(ROOT_CONTEXT, { traceId: parent.traceId, spanId: parent.spanId, traceFlags: parseInt(parent.flags, 16), isRemote: true })
    : ROOT_CONTEXT;
  const span: Span = tracer.startSpan(name, { kind: KINDS[kind], attributes }, parentCtx);
  const sc = span.spanContext();
  return {
    ctx: { traceId: sc.traceId, spanId: sc.spanId, flags: sc.traceFlags.toString(16).padStart(2, '0') },
    end(error, more) {
      if (more) span.setAttributes(more);
      if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
      span.end();
    },
  };
}

/** Runs `work` in a span (and its trace context); a throw marks the span failed. */
export async function inSpan<T>(
  service: string,
  name: string,
  parent: Omit<TraceContext, 'requestId'> | undefined,
  kind: SpanKindName,
  work: () => Promise<T>,
  attributes?: Attributes,
): Promise<T> {
  const span = openSpan(service, name, parent, kind, attributes);
  try {
    const result = await traceStore.run(span.ctx, work);
    span.end();
    return result;
  } catch (e) {
    span.end((e as Error)?.message ?? String(e));
    throw e;
  }
}
