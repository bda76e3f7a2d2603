// A raw WebSocket connection to a node's API for tests that send frames the real client never
// would (garbage, text, wrong versions, oversized). Replies are decoded with the API's packr.

import WebSocket from 'ws';
import { API_PATH, packr, type Reply } from '../../src/api/protocol.ts';

export class RawConn {
  private queue: unknown[] = [];
  private waiting: ((v: unknown) => void)[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private constructor(private ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      let v: unknown;
      try {
        v = isBinary ? packr.unpack(data as Uint8Array) : { text: String(data) };
      } catch (e) {
        v = { undecodable: String(e) };
      }
      const w = this.waiting.shift();
      if (w) w(v);
      else this.queue.push(v);
    });
    ws.on('error', () => {});
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  static async open(address: string, timeoutMs = 5000): Promise<RawConn> {
    const ws = new WebSocket(`ws://${address}${API_PATH}`, { handshakeTimeout: timeoutMs });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', (e) => reject(e));
    });
    return new RawConn(ws);
  }

  get isOpen() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(data: Uint8Array | string) {
    this.ws.send(data);
  }

  request(msg: unknown) {
    this.ws.send(packr.pack(msg));
  }

  /** The next frame from the node (decoded); fails after timeoutMs. */
  next(timeoutMs = 5000): Promise<Reply> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued as Reply);
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(done);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new Error(`no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (v: unknown) => {
        clearTimeout(timer);
        resolve(v as Reply);
      };
      this.waiting.push(done);
    });
  }

  close() {
    this.ws.close();
  }
  terminate() {
    this.ws.terminate();
  }
}
