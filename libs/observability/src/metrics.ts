import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds: from a fast read to a slow write under load; the RPC deadline is 10 s. */
const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type RpcSide = 'client' | 'server';

/**
 * One app's metrics in a registry of its own (not prom-client's global one): the in-process
 * test stack runs several apps in one process, and each must show only its own. Every series
 * carries `app`. The hot path only increments counters and observes histograms; gauges of
 * state (lags, open streams) are computed when scraped, from what their owners keep anyway.
 */
export class AppMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly rpcDuration: Record<RpcSide, Histogram<'method' | 'outcome'>>;
  readonly pushes: Counter<'outcome'>;

  constructor(
    readonly app: string,
    o: { processMetrics?: boolean } = {},
  ) {
    this.registry.setDefaultLabels({ app });
    if (o.processMetrics) collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.httpRequests = new Counter({ name: 'im_http_requests_total', help: 'HTTP requests by route pattern and status', labelNames: ['method', 'route', 'status'], registers });
    this.httpDuration = new Histogram({
      name: 'im_http_request_duration_seconds',
      help: 'HTTP request latency by route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.rpcDuration = {
      client: new Histogram({
        name: 'im_rpc_client_duration_seconds',
        help: 'RPC calls made, by method (service.method) and outcome (ok or the error code), with latency',
        labelNames: ['method', 'outcome'],
        buckets: LATENCY_BUCKETS,
        registers,
      }),
      server: new Histogram({
        name: 'im_rpc_server_duration_seconds',
        help: 'RPC requests handled, by method (service.method) and outcome (ok or the error code), with latency',
        labelNames: ['method', 'outcome'],
        buckets: LATENCY_BUCKETS,
        registers,
      }),
    };
    this.pushes = new Counter({ name: 'im_pushes_total', help: 'Push attempts by outcome (sent, retry, failed, skipped, postponed)', labelNames: ['outcome'], registers });
  }

  /** A gauge computed at scrape time: `read` sets its values. */
  gauge<L extends string>(name: string, help: string, labelNames: L[], read: (g: Gauge<L>) => void): Gauge<L> {
    return new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        read(this);
      },
    });
  }

  /** A counter whose value its owner keeps (a count since start), read at scrape time. */
  countedBy<L extends string>(name: string, help: string, labelNames: L[], read: (set: (labels: Record<L, string>, value: number) => void) => void): Counter<L> {
    return new Counter<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        read((labels, value) => this.inc(labels as never, value));
      },
    });
  }

  rpcObserver(side: RpcSide): RpcObserver {
    const h = this.rpcDuration[side];
    return (method, outcome, seconds) => h.observe({ method, outcome }, seconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** What the RPC client and server call once per call: `method` is `service.method`. */
export type RpcObserver = (method: string, outcome: string, seconds: number) => void;
