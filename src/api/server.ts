// The node's WebSocket server. One port: `/api` for clients (admin token in every request);
// the peer protocol joins it on its own path with the cluster issue. Every frame is checked:
// garbage, oversized or unauthenticated frames get an error reply and change nothing.

import { createServer, type Server } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';
import { asStarlingError, StarlingError } from '../errors.ts';
import { tokenMatches } from './auth.ts';
import { type Handlers, type Stream } from './handlers.ts';
import { API_PATH, encode, OPS, packr, PROTOCOL_VERSION, type Reply, type Request } from './protocol.ts';

export interface ApiServerOptions {
  host: string;
  port: number;
  /** the admin token (a function: it is known once the node has its credentials) */
  adminToken: string | (() => string | undefined);
  maxFrameBytes: number;
  log(msg: string): void;
  /** takes WebSocket upgrades on the peer path (/peer): cluster links and joins */
  peer?: { path: string; accept(ws: WebSocket): void };
}

export class ApiServer {
  private http?: Server;
  private wss?: WebSocketServer;
  private peerWss?: WebSocketServer;

  /** `handlers` may be a function: requests before it returns handlers are refused as unavailable */
  constructor(private handlers: Handlers | (() => Handlers | undefined), private opts: ApiServerOptions) {}

  async start(): Promise<number> {
    this.http = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' });
      res.end('starling: connect with a WebSocket client at /api\n');
    });
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.opts.maxFrameBytes * 2 });
    this.peerWss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
    this.http.on('upgrade', (req, socket, head) => {
      const path = (req.url ?? '').split('?')[0];
      const peer = this.opts.peer;
      if (peer && path === peer.path) {
        this.peerWss!.handleUpgrade(req, socket, head, (ws) => peer.accept(ws));
        return;
      }
      if (path !== API_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
        return;
      }
      this.wss!.handleUpgrade(req, socket, head, (ws) => this.connection(ws));
    });
    await new Promise<void>((resolve, reject) => {
      this.http!.once('error', reject);
      this.http!.listen(this.opts.port, this.opts.host, () => resolve());
    });
    const addr = this.http.address();
    return typeof addr === 'object' && addr ? addr.port : this.opts.port;
  }

  async stop() {
    for (const ws of [...(this.wss?.clients ?? []), ...(this.peerWss?.clients ?? [])]) ws.terminate();
    this.wss?.close();
    this.peerWss?.close();
    await new Promise<void>((resolve) => (this.http ? this.http.close(() => resolve()) : resolve()));
    this.http?.closeAllConnections?.();
  }

  private connection(ws: WebSocket) {
    const streams = new Map<number, () => void>();
    const send = (reply: Reply) => {
      if (ws.readyState === ws.OPEN) ws.send(encode(reply));
    };
    ws.on('error', () => {});
    ws.on('close', () => {
      for (const cancel of streams.values()) cancel();
      streams.clear();
    });
    ws.on('message', (data, isBinary) => {
      let req: Request;
      try {
        if (!isBinary) throw new StarlingError('BadRequest', 'frames must be binary msgpack');
        req = packr.unpack(data as Uint8Array) as Request;
        if (!req || typeof req !== 'object' || typeof req.id !== 'number') throw new StarlingError('BadRequest', 'a request needs a numeric id');
      } catch (e) {
        const err = e instanceof StarlingError ? e : new StarlingError('BadRequest', `malformed frame: ${(e as Error).message}`);
        send({ v: PROTOCOL_VERSION, id: 0, ok: false, error: err.toJSON() });
        return;
      }
      this.handle(req, send, streams).catch((e) => {
        send({ v: PROTOCOL_VERSION, id: req.id, ok: false, error: asStarlingError(e).toJSON() });
      });
    });
  }

  private async handle(req: Request, send: (r: Reply) => void, streams: Map<number, () => void>) {
    const id = req.id;
    if (req.v !== PROTOCOL_VERSION) {
      throw new StarlingError('BadRequest', `unsupported protocol version ${req.v}; this node speaks ${PROTOCOL_VERSION}`);
    }
    const h = typeof this.handlers === 'function' ? this.handlers() : this.handlers;
    const adminToken = typeof this.opts.adminToken === 'function' ? this.opts.adminToken() : this.opts.adminToken;
    if (!h || !adminToken) throw new StarlingError('RuntimeUnavailable', 'the node is starting or stopping; try again in a moment');
    if (!tokenMatches(req.token, adminToken)) {
      throw new StarlingError('Unauthorized', req.token ? 'Unauthorized: the token was refused' : 'Unauthorized: no token given; set one in the config file (--config, STARLING_CONFIG or ~/.starling/config)');
    }
    if (!OPS.includes(req.op)) throw new StarlingError('BadRequest', `unknown operation ${JSON.stringify(req.op)}`);
    const args = req.args && typeof req.args === 'object' ? req.args : {};
    const ok = (result: unknown) => send({ v: PROTOCOL_VERSION, id, ok: true, result });
    switch (req.op) {
      case 'cancel': {
        streams.get(Number(args.target))?.();
        streams.delete(Number(args.target));
        return ok(null);
      }
      case 'watch':
      case 'logs': {
        const cancels: (() => void)[] = [];
        let ended = false;
        const stream: Stream = {
          item: (item) => !ended && send({ v: PROTOCOL_VERSION, id, item }),
          end: () => {
            if (ended) return;
            ended = true;
            streams.delete(id);
            send({ v: PROTOCOL_VERSION, id, end: true });
          },
          onCancel: (fn) => cancels.push(fn),
        };
        streams.set(id, () => {
          ended = true;
          for (const c of cancels) c();
        });
        ok(null);
        if (req.op === 'watch') h.watch(args, stream);
        else await h.logs(args, stream);
        return;
      }
      case 'apply':
        return ok(await h.apply(args));
      case 'get':
        return ok(await h.get(args));
      case 'delete':
        return ok(await h.delete(args));
      case 'describe':
        return ok(await h.describe(args));
      case 'events':
        return ok({ items: await h.events(args) });
      case 'exec':
        return ok(await h.exec(args));
      case 'actors':
        return ok(await h.actors(args));
      case 'version':
        return ok(h.version());
      case 'token-create':
        return ok(await h.tokenCreate(args));
      case 'token-list':
        return ok(h.tokenList());
      case 'token-delete':
        return ok(h.tokenDelete(args));
      case 'cordon':
        return ok(await h.cordon(args));
      case 'top':
        return ok(await h.top());
      case 'scale':
        return ok(await h.scale(args));
      case 'rollout-history':
        return ok(h.rolloutHistory(args));
      case 'rollout-undo':
        return ok(await h.rolloutUndo(args));
      case 'rollout-restart':
        return ok(await h.rolloutRestart(args));
      case 'rollout-pause':
        return ok(await h.rolloutPause(args));
    }
  }
}
