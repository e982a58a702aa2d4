export { ImClient } from './client';
export { ImApiError } from './transport';
export type { ImClientOptions } from './transport';
export type { StreamEvent, StreamHandle, StreamOptions } from './stream';
export type { ErrorCodeOf, Method, Path, Query, Reply, RequestBody } from './operation-types';
export type { components, operations, paths } from './openapi';
