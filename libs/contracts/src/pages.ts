/**
 * Pages bounded by bytes as well as by count. A reply travels as one NATS message (1 MiB by
 * default), and a page of large items (messages of up to 128 KB, each with up to 64 KB of
 * expansion) would pass it long before its count limit. Half the default max_payload leaves
 * room for the reply's wrapping and for what the gateway adds afterwards.
 */
export const MAX_PAGE_BYTES = 512 * 1024;

export interface BytePage<T> {
  items: T[];
  /** True when items were left out to stay within the byte budget. */
  cut: boolean;
}

/**
 * The longest prefix of `items` whose serialized size stays within `budget`. It always keeps the
 * first item, so a page makes progress: one item's size is bounded by the write-time limits, and
 * the RPC edge still refuses a reply that would not fit.
 */
export function cutToBytes<T>(items: T[], budget = MAX_PAGE_BYTES): BytePage<T> {
  let used = 0;
  for (let i = 0; i < items.length; i++) {
    // +1 for the comma between array items.
    used += Buffer.byteLength(JSON.stringify(items[i]), 'utf8') + 1;
    if (used > budget && i > 0) return { items: items.slice(0, i), cut: true };
  }
  return { items, cut: false };
}
