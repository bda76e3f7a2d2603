// The API client the CLI (and tests) use: one WebSocket, requests matched to replies by id.

import WebSocket from 'ws';
import { StarlingError } from '../errors.ts';
import { API_PATH, encode, type Op, packr, PROTOCOL_VERSION, type Reply } from './protocol.ts';

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  onItem?(item: unknown): void;
  onEnd?(): void;
}

export class ApiClient {
  private ws?: WebSocket;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private closedError?: StarlingError;

  constructor(private server: string, private token: string) {}

  /** `server` is HOST:PORT or ws://HOST:PORT */
  async connect(timeoutMs = 5000): Promise<this> {
    const url = (/^wss?:\/\//.test(this.server) ? this.server : `ws://${this.server}`).replace(/\/$/, '') + API_PATH;
    const ws = new WebSocket(url, { handshakeTimeout: timeoutMs });
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', (e) => reject(new StarlingError('RuntimeUnavailable', `cannot reach the Starling node at ${this.server}: ${(e as Error).message}`)));
    });
    ws.on('message', (data) => this.receive(data as Uint8Array));
    ws.on('error', () => {});
    ws.on('close', (code, reason) => {
      this.closedError = new StarlingError('RuntimeUnavailable', `connection to ${this.server} closed (${code}${reason.length ? `: ${reason}` : ''})`);
      for (const p of this.pending.values()) p.reject(this.closedError);
      this.pending.clear();
    });
    return this;
  }

  private receive(data: Uint8Array) {
    let reply: Reply;
    try {
      reply = packr.unpack(data) as Reply;
    } catch {
      return;
    }
    const p = this.pending.get(reply.id);
    if (!p) {
      if (reply.id === 0 && 'ok' in reply && !reply.ok) {
        for (const q of this.pending.values()) q.reject(new StarlingError(reply.error.code as any, reply.error.message, reply.error.details));
        this.pending.clear();
      }
      return;
    }
    if ('item' in reply) p.onItem?.(reply.item);
    else if ('end' in reply) {
      this.pending.delete(reply.id);
      p.onEnd?.();
    } else if (reply.ok) {
      if (!p.onItem) this.pending.delete(reply.id);
      p.resolve(reply.result);
    } else {
      this.pending.delete(reply.id);
      p.reject(new StarlingError(reply.error.code as any, reply.error.message, reply.error.details));
      p.onEnd?.();
    }
  }

  request<T = any>(op: Op, args: Record<string, unknown> = {}): Promise<T> {
    return this.send(op, args) as Promise<T>;
  }

  /** Starts a stream (watch, logs); items arrive through onItem. Returns a cancel function. */
  async stream(op: 'watch' | 'logs', args: Record<string, unknown>, onItem: (item: any) => void): Promise<{ done: Promise<void>; cancel(): void }> {
    let endResolve!: () => void;
    let endReject!: (e: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      endResolve = res;
      endReject = rej;
    });
    const id = this.nextId;
    await this.send(op, args, { onItem, onEnd: () => endResolve(), onError: (e) => endReject(e) });
    return {
      done,
      cancel: () => {
        this.pending.delete(id);
        this.send('cancel', { target: id }).catch(() => {});
        endResolve();
      },
    };
  }

  private send(op: Op, args: Record<string, unknown>, stream?: { onItem(i: unknown): void; onEnd(): void; onError(e: unknown): void }) {
    if (this.closedError) return Promise.reject(this.closedError);
    if (!this.ws) return Promise.reject(new StarlingError('Internal', 'not connected'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        resolve,
        reject: (e) => {
          reject(e);
          stream?.onError(e);
        },
        onItem: stream?.onItem,
        onEnd: stream?.onEnd,
      });
      this.ws!.send(encode({ v: PROTOCOL_VERSION, id, token: this.token, op, args }));
    });
  }

  close() {
    this.ws?.close();
  }
}
