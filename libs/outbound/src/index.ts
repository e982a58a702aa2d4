export * from './address-policy';
export * from './limiter';
export * from './outbound-client';
export * from './outbound-error';
export * from './signature';
export * from './special-ranges';
export * from './target';
