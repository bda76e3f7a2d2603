// Lets several services (membership, replication, binding, forwarding) share one Transport:
// every handler sees every message and ignores the types it does not know.

import type { MessageHandler, PeerMessage, Transport } from './types.ts';

export class SharedTransport implements Transport {
  private handlers: MessageHandler[] = [];
  constructor(private inner: Transport) {
    inner.onMessage((from, msg, reply) => {
      for (const h of this.handlers) {
        try {
          h(from, msg, reply);
        } catch { /* one service's failure is its own */ }
      }
    });
  }
  get self() {
    return this.inner.self;
  }
  send(to: string, msg: PeerMessage) {
    this.inner.send(to, msg);
  }
  sendMany(to: readonly string[], msg: PeerMessage) {
    if (this.inner.sendMany) this.inner.sendMany(to, msg);
    else for (const peer of to) this.inner.send(peer, msg);
  }
  request(to: string, msg: PeerMessage, timeoutMs: number) {
    return this.inner.request(to, msg, timeoutMs);
  }
  onMessage(handler: MessageHandler) {
    this.handlers.push(handler);
  }
  setAddress(name: string, addr: string) {
    this.inner.setAddress(name, addr);
  }
  close() {
    return this.inner.close();
  }
}
