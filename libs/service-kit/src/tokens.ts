/** Injection tokens shared by every service; explicit tokens keep DI independent of emitted metadata. */
export const DB = Symbol('DB');
export const NATS = Symbol('NATS');
export const SUBJECTS = Symbol('SUBJECTS');
export const CLOCK = Symbol('CLOCK');
export const CONFIG = Symbol('CONFIG');
export const SERVICE_DEFINITION = Symbol('SERVICE_DEFINITION');
export const RPC_HANDLERS = Symbol('RPC_HANDLERS');

/** Time comes from one clock passed in, so tests can move it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
