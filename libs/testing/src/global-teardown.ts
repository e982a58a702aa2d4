export default async function globalTeardown(): Promise<void> {
  const containers = ((globalThis as Record<string, unknown>).__IM_CONTAINERS__ ?? []) as Array<{ stop(): Promise<unknown> }>;
  await Promise.all(containers.map((c) => c.stop()));
}
