export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
export const GATEWAY_NATS = Symbol('GATEWAY_NATS');
export const RPC_CLIENT = Symbol('RPC_CLIENT');
export const SUBJECTS_TOKEN = Symbol('SUBJECTS');
export const PRESENCE = Symbol('PRESENCE');
