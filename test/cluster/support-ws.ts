// Helpers for the peer-protocol tests: an HTTP server on 127.0.0.1:0 serving /peer through
// PeerEndpoint, a raw /peer client for frames the real code never sends, and bounded waits.

import { createServer, type Server } from 'node:http';
import WebSocket from 'ws';
import { peerPackr } from '../../src/cluster/peer-auth.ts';
import { PEER_PATH, PeerEndpoint, type PeerEndpointOptions } from '../../src/cluster/transport-ws.ts';

export interface PeerServer {
  port: number;
  addr: string;
  endpoint: PeerEndpoint;
  http: Server;
  /** upgrade requests seen (any path) */
  upgrades: number;
  stop(): Promise<void>;
}

/** A node's port with only /peer on it. */
export async function startPeerServer(opts: PeerEndpointOptions | (() => PeerEndpointOptions)): Promise<PeerServer> {
  const endpoint = new PeerEndpoint(opts);
  const http = createServer((_req, res) => {
    res.writeHead(426);
    res.end();
  });
  const server: PeerServer = {
    port: 0,
    addr: '',
    endpoint,
    http,
    upgrades: 0,
    async stop() {
      endpoint.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections?.();
    },
  };
  http.on('upgrade', (req, socket, head) => {
    server.upgrades++;
    if ((req.url ?? '').split('?')[0] !== PEER_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    endpoint.handleUpgrade(req, socket, head);
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => resolve());
  });
  const a = http.address();
  server.port = typeof a === 'object' && a ? a.port : 0;
  server.addr = `127.0.0.1:${server.port}`;
  return server;
}

/** A port nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const a = s.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A raw /peer socket: sends anything, records decoded frames and the close. */
export class RawPeer {
  frames: any[] = [];
  closed?: { code: number; reason: string };
  readonly whenClosed: Promise<{ code: number; reason: string }>;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      try {
        this.frames.push(isBinary ? peerPackr.unpack(data as Uint8Array) : { text: String(data) });
      } catch (e) {
        this.frames.push({ undecodable: String(e) });
      }
    });
    ws.on('error', () => {});
    this.whenClosed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.closed = { code, reason: String(reason) };
        resolve(this.closed);
      })
    );
  }

  static async open(addr: string): Promise<RawPeer> {
    const ws = new WebSocket(`ws://${addr}${PEER_PATH}`, { handshakeTimeout: 3000 });
    const raw = new RawPeer(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return raw;
  }

  send(frame: unknown) {
    this.ws.send(peerPackr.pack(frame));
  }

  sendRaw(data: Uint8Array | string) {
    this.ws.send(data);
  }

  /** The n-th frame received (0-based), waiting up to ms for it. */
  async frame(n: number, ms = 3000): Promise<any> {
    await waitFor(() => this.frames.length > n || !!this.closed, ms);
    return this.frames[n];
  }

  terminate() {
    this.ws.terminate();
  }
}

/** Polls cond every 10 ms until it holds; false after ms. */
export async function waitFor(cond: () => boolean, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) return false;
    await sleep(10);
  }
  return true;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The promise's value, or the string 'timeout' when it takes longer than ms. */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([p, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection, got a value');
}
