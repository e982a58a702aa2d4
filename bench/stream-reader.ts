/**
 * A minimal SSE reader for benchmarks: opens GET /v1/stream as a user (the server key with
 * X-User-Id) and notes when each message.sent arrived, by messageUId.
 */
import { IncomingMessage, request } from 'node:http';
import { API_KEY } from './bench-kit';

export interface StreamStats {
  /** messageUId -> arrival times (ms, Date.now()) over all streams. */
  arrivals: Map<string, number[]>;
  events: number;
}

export function openStream(gatewayUrl: string, userId: string, stats: StreamStats): Promise<() => void> {
  const url = new URL(`/v1/stream?deviceId=bench`, gatewayUrl);
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', authorization: `Bearer ${API_KEY}`, 'x-user-id': userId } }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) return reject(new Error(`stream for ${userId}: HTTP ${res.statusCode}`));
      res.setEncoding('utf8');
      let buffer = '';
      let opened = false;
      res.on('data', (chunk: string) => {
        if (!opened) {
          opened = true;
          resolve(() => req.destroy());
        }
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          onFrame(buffer.slice(0, cut), stats);
          buffer = buffer.slice(cut + 2);
        }
      });
    });
    req.on('error', (e) => (e.message === 'socket hang up' ? undefined : reject(e)));
    req.end();
  });
}

function onFrame(frame: string, stats: StreamStats): void {
  const at = Date.now();
  const data = frame.split('\n').find((l) => l.startsWith('data:'));
  if (!data) return;
  const envelope = JSON.parse(data.slice(5));
  if (envelope.type !== 'message.sent') return;
  stats.events += 1;
  const list = stats.arrivals.get(envelope.data.messageUId) ?? [];
  list.push(at);
  stats.arrivals.set(envelope.data.messageUId, list);
}

