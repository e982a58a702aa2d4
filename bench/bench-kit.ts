/**
 * What every benchmark shares: the API client for a running stack, a run id that keeps each
 * run's ids apart, percentiles, a bounded pool, and setup of users and groups.
 */
// By relative path: '@im/testing' also exports the test harness, which pulls in the NestJS apps.
import { ApiClient } from '../libs/testing/src/http';

export const BASE_URL = process.env.BASE_URL ?? 'http://127.0.0.1:3000';
export const API_KEY = process.env.IM_API_KEY ?? 'dev-server-key';
export const SETUP_CONCURRENCY = 50;
export const api = new ApiClient(BASE_URL, API_KEY);
// Ids allow [A-Za-z0-9_=+\-.@]{1,64}; base36 time + random keeps them short and unique per run.
export const runId = `b${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return n;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Nearest-rank percentile (p in 0..100); NaN for no data, so an empty column shows as such. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Runs `fn` over `items` with at most `limit` in flight: setup must not open 10,000 requests at once. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export function range(n: number, id: (i: number) => string): string[] {
  return Array.from({ length: n }, (_, i) => id(i));
}

export const randomInt = (n: number) => Math.floor(Math.random() * n);

export function ok(res: { status: number; body: unknown }, what: string): void {
  if (res.status < 200 || res.status >= 300) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
}

// ---------------------------------------------------------------------------------------------
// Setup

/** Through POST /v1/users/batch, 1,000 at a time (the setup target: 10,000 in ≤ 5 s). */
export async function createUsers(ids: string[]): Promise<void> {
  const batches = Array.from({ length: Math.ceil(ids.length / 1000) }, (_, i) => ids.slice(i * 1000, (i + 1) * 1000));
  await pool(batches, 2, async (batch) => ok(await api.post('/v1/users/batch', { users: batch.map((id) => ({ userId: id, name: id })) }), 'POST users batch'));
}

/** All members in one PUT: that is the call under test for a large group, not a batch of adds. */
export async function createGroup(groupId: string, memberIds: string[]): Promise<void> {
  ok(await api.put(`/v1/groups/${groupId}`, { name: groupId, memberIds }), `PUT group ${groupId}`);
}

export async function timed(label: string, fn: () => Promise<void>): Promise<void> {
  const start = performance.now();
  await fn();
  console.log(`  ${label}: ${((performance.now() - start) / 1000).toFixed(1)} s`);
}
