export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
export const GATEWAY_NATS = Symbol('GATEWAY_NATS');
export const RPC_CLIENT = Symbol('RPC_CLIENT');
export const SUBJECTS_TOKEN = Symbol('SUBJECTS');
export const PRESENCE = Symbol('PRESENCE');
export const GATEWAY_CLOCK = Symbol('GATEWAY_CLOCK');
export const IDEMPOTENCY_STORE = Symbol('IDEMPOTENCY_STORE');
export const RATE_LIMITER = Symbol('RATE_LIMITER');
