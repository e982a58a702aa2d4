import { JetStreamManager } from '@nats-io/jetstream';

/**
 * The message ids (Nats-Msg-Id, the event id for what a relay published) of a stream's last
 * messages, newest first, looking at `limit` messages at most. Messages without one, published
 * by something other than a relay, are passed over.
 */
export async function* lastMessageIds(jsm: JetStreamManager, stream: string, limit: number): AsyncGenerator<string> {
  const { state } = await jsm.streams.info(stream);
  if (state.messages === 0) return;
  for (let seq = state.last_seq, looked = 0; seq >= state.first_seq && looked < limit; seq--, looked++) {
    const msg = await jsm.streams.getMessage(stream, { seq });
    const id = msg?.header?.get('Nats-Msg-Id');
    if (id) yield id;
  }
}
