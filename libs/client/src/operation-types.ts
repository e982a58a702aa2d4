import type { paths } from './openapi';

/**
 * Request and reply types of one operation, read off the generated `paths`: the client's
 * methods are typed by the OpenAPI document, not by hand.
 */
export type Method = 'get' | 'put' | 'post' | 'delete' | 'patch';
export type Path = keyof paths;

type Op<P extends Path, M extends Method> = NonNullable<paths[P][M]>;
type Json<T> = T extends { content: { 'application/json': infer J } } ? J : never;

/** The JSON body, or `never` for an operation without one. */
export type RequestBody<P extends Path, M extends Method> = Op<P, M> extends { requestBody?: infer B } ? Json<NonNullable<B>> : never;

/** The query parameters (all optional where the document says so). */
export type Query<P extends Path, M extends Method> = Op<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

/** The body of the 200 or 201 answer. */
export type Reply<P extends Path, M extends Method> = Op<P, M> extends { responses: infer R } ? Json<R[Extract<keyof R, 200 | 201>]> : never;

/** The error codes the operation can answer with (every non-2xx status). */
export type ErrorCodeOf<P extends Path, M extends Method> =
  Op<P, M> extends { responses: infer R }
    ? { [S in Exclude<keyof R, 200 | 201>]: Json<R[S]> extends { error: { code: infer C } } ? C : never }[Exclude<keyof R, 200 | 201>]
    : never;
