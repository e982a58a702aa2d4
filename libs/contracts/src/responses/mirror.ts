import { z } from 'zod';

/**
 * The zod schema of a reply type written as a TypeScript interface (the RPC reply types in
 * `rpc/*.rpc.ts`). It only compiles while the schema's output and the interface are the same
 * type both ways and name the same keys (an optional key renamed on one side only would still be
 * assignable), so the OpenAPI response schemas cannot drift from what the services return.
 *
 *   export const UserView = mirror<MessagingReplies['users.get']>()(z.object({ ... }));
 */
export function mirror<T>() {
  return <S extends z.ZodType<T>>(schema: S & (Same<T, z.output<S>> extends true ? unknown : never)): S => schema;
}

type Same<A, B> = [A] extends [B] ? ([keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false) : false;
