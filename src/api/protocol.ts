// The client API's wire protocol: msgpackr frames over one WebSocket (path /api).
// Versioned; operations and fields are append-only.
//
//   client → node   { v, id, token, op, args }
//   node → client   { v, id, ok: true, result }            one answer
//                   { v, id, ok: false, error }            { code, message, details }
//                   { v, id, item }                        one item of a stream (watch, logs -f)
//                   { v, id, end: true }                   the stream is over
//
// apply takes `json` (the documents as one JSON array, parsed by the client, as the CLI sends
// them) or `manifest` (YAML or JSON text, parsed by the node), and `namespace`.

import { Packr } from 'msgpackr';

export const PROTOCOL_VERSION = 1;
export const API_PATH = '/api';

export const OPS = [
  'apply', 'get', 'delete', 'watch', 'describe', 'events', 'logs', 'exec', 'actors', 'cancel', 'version',
  // cluster
  'token-create', 'token-list', 'token-delete', 'cordon',
  // metrics
  'top',
  // rollouts
  'scale', 'rollout-history', 'rollout-undo', 'rollout-restart', 'rollout-pause',
] as const;
export type Op = typeof OPS[number];

export interface Request {
  v: number;
  id: number;
  token: string;
  op: Op;
  args: Record<string, any>;
}

export interface WireError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export type Reply =
  | { v: number; id: number; ok: true; result: unknown }
  | { v: number; id: number; ok: false; error: WireError }
  | { v: number; id: number; item: unknown }
  | { v: number; id: number; end: true };

export const packr = new Packr({ useRecords: false });

export const encode = (msg: Reply | Request): Uint8Array => packr.pack(msg);
