/** Injection tokens shared by every service; explicit tokens keep DI independent of emitted metadata. */
export const DB = Symbol('DB');
export const NATS = Symbol('NATS');
export const SUBJECTS = Symbol('SUBJECTS');
export const CLOCK = Symbol('CLOCK');
export const CONFIG = Symbol('CONFIG');
export const SERVICE_DEFINITION = Symbol('SERVICE_DEFINITION');
/** The service's own metrics registry (AppMetrics). */
export const METRICS = Symbol('METRICS');
export const RPC_HANDLERS = Symbol('RPC_HANDLERS');
/** Projections that need the app's own providers (e.g. a reaction that calls another service). */
export const EXTRA_PROJECTIONS = Symbol('EXTRA_PROJECTIONS');

/** Time comes from one clock passed in, so tests can move it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
