// Join tokens, kubeadm's form: `[a-z0-9]{6}.[a-z0-9]{16}` — a public id and a secret. The id
// names the token (token list/delete, the first join frame); the secret never leaves the node
// that holds it: joining is a challenge–response over it (join.ts, peer-auth.ts).
// The registry of tokens lives in the replicated store; this module only needs `TokenRegistry`.

import { randomBytes } from 'node:crypto';
import { isoTime } from '../clock.ts';
import { StarlingError } from '../errors.ts';

export const TOKEN_ID_RE = /^[a-z0-9]{6}$/;
export const TOKEN_SECRET_RE = /^[a-z0-9]{16}$/;
export const JOIN_TOKEN_RE = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

export const INVALID_TOKEN_MESSAGE =
  'the join token must look like abcdef.0123456789abcdef ([a-z0-9]{6}.[a-z0-9]{16})';

/** A freshly made token. `token` is what an operator passes to `--token`. */
export interface JoinToken {
  id: string;
  secret: string;
  /** `id.secret` */
  token: string;
  /** when it stops working (ISO, seconds precision) */
  expires: string;
  description: string;
}

/** What the seed knows about a token (kept in the replicated store by the lead's code). */
export interface TokenRecord {
  id: string;
  secret: string;
  /** ISO time after which the token is refused */
  expires: string;
  revoked?: boolean;
}

/** Looks a token up by its id; implemented over the replicated store. */
export interface TokenRegistry {
  find(id: string): TokenRecord | undefined;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** n characters of [a-z0-9], uniformly (rejection sampling: 252 = 7 × 36). */
export function randomTokenChars(n: number): string {
  let out = '';
  while (out.length < n) {
    for (const b of randomBytes(n * 2)) {
      if (b < 252 && out.length < n) out += ALPHABET[b % 36];
    }
  }
  return out;
}

/** A new token valid for ttlMs from now (ms since the epoch). ttlMs must be > 0. */
export function newJoinToken(now: number, ttlMs: number, description = ''): JoinToken {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new StarlingError('Invalid', `a join token's ttl must be a positive duration, got ${ttlMs} ms`);
  }
  const id = randomTokenChars(6);
  const secret = randomTokenChars(16);
  return { id, secret, token: `${id}.${secret}`, expires: isoTime(now + ttlMs), description };
}

/** Splits `id.secret`; throws StarlingError('Invalid') on anything else. */
export function parseJoinToken(s: string): { id: string; secret: string } {
  const m = typeof s === 'string' ? JOIN_TOKEN_RE.exec(s.trim()) : null;
  if (!m) throw new StarlingError('Invalid', INVALID_TOKEN_MESSAGE, { field: 'token' });
  return { id: m[1], secret: m[2] };
}

/** True when the record can admit a node at `now`: well formed, not revoked, not expired. */
export function isUsable(record: TokenRecord | undefined, now: number): boolean {
  if (!record || record.revoked) return false;
  if (typeof record.id !== 'string' || !TOKEN_ID_RE.test(record.id)) return false;
  if (typeof record.secret !== 'string' || !TOKEN_SECRET_RE.test(record.secret)) return false;
  const expires = typeof record.expires === 'string' ? Date.parse(record.expires) : NaN;
  return Number.isFinite(expires) && now < expires;
}
