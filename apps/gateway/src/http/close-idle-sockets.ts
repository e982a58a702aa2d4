import type { FastifyInstance } from 'fastify';
import type { Socket } from 'node:net';

/**
 * On close, drops every connection with no request in progress. Node's own idle sweep misses a
 * connection that never sent a request (a browser's preconnect, a client's spare socket), and
 * the server's close waits for it. Streams are ended before this (the stream registry's
 * shutdown hook), so what is left are ordinary requests, which finish.
 */
export function closeIdleSocketsOnClose(app: FastifyInstance): void {
  const busy = new Map<Socket, number>();
  app.server.on('connection', (socket: Socket) => {
    busy.set(socket, 0);
    socket.on('close', () => busy.delete(socket));
  });
  app.server.on('request', (req, res) => {
    const socket = req.socket;
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    res.on('close', () => busy.set(socket, Math.max(0, (busy.get(socket) ?? 1) - 1)));
  });
  app.addHook('preClose', async () => {
    for (const [socket, requests] of busy) if (requests === 0) socket.destroy();
  });
}
