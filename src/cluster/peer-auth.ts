// Crypto of the peer protocol, pure functions over node:crypto (works on Node 20 and Deno 2):
//
//  - proofs: HMAC-SHA256 over (purpose, role, both nonces, names), each side proving it knows a
//    shared secret without sending it. The role is in the MAC, so a server's proof can never be
//    replayed as a client's; both nonces are in it, so no proof is good for two handshakes.
//      joining:      key = HKDF(token secret,   info "starling/v1/join-proof/ID")
//      member links: key = HKDF(cluster secret, info "starling/v1/link-proof")
//  - HKDF-SHA256 key derivation;
//  - seal/unseal: AES-256-GCM over a msgpack payload: `iv(12) ‖ ciphertext ‖ tag(16)`.
//  - constant-time comparison of proofs.
//
// Fields are length-prefixed before they are MACed, so ("ab","c") and ("a","bc") differ.

import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { Packr } from 'msgpackr';
import { StarlingError } from '../errors.ts';

export const NONCE_BYTES = 32;
export const PROOF_BYTES = 32;
export const CLUSTER_SECRET_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export type Role = 'client' | 'server';

/** msgpack of the peer protocol (records off: plain maps, any peer can read them). */
export const peerPackr = new Packr({ useRecords: false });

const enc = new TextEncoder();
const bytes = (v: Uint8Array | string): Uint8Array => (typeof v === 'string' ? enc.encode(v) : v);

export function newNonce(): Uint8Array {
  return new Uint8Array(randomBytes(NONCE_BYTES));
}

/** A new random cluster secret (32 bytes). */
export function newClusterSecret(): Uint8Array {
  return new Uint8Array(randomBytes(CLUSTER_SECRET_BYTES));
}

/** True for a Uint8Array (a Buffer is one), of exactly `length` bytes when given. */
export function isBytes(v: unknown, length?: number): v is Uint8Array {
  return v instanceof Uint8Array && (length === undefined || v.length === length);
}

/** HKDF-SHA256. */
export function deriveKey(ikm: Uint8Array | string, salt: Uint8Array | string, info: string, length = 32): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', bytes(ikm), bytes(salt), bytes(info), length));
}

/** HMAC-SHA256 of length-prefixed fields. */
export function mac(key: Uint8Array, fields: (Uint8Array | string)[]): Uint8Array {
  const h = createHmac('sha256', key);
  const len = new Uint8Array(4);
  const view = new DataView(len.buffer);
  for (const f of fields) {
    const b = bytes(f);
    view.setUint32(0, b.length);
    h.update(len);
    h.update(b);
  }
  return new Uint8Array(h.digest());
}

/** Constant-time: `given` is a proof equal to `expected` (false for anything not bytes). */
export function proofsEqual(given: unknown, expected: Uint8Array): boolean {
  if (!isBytes(given) || given.length !== expected.length) return false;
  return timingSafeEqual(given, expected);
}

// ---- joining (token secret) ----

export interface JoinProofInput {
  tokenId: string;
  clientNonce: Uint8Array;
  serverNonce: Uint8Array;
  /** the joining node's name and address, as it sent them */
  name: string;
  addr: string;
}

export function joinProofKey(tokenSecret: string, tokenId: string): Uint8Array {
  return deriveKey(tokenSecret, 'starling join v1', `starling/v1/join-proof/${tokenId}`);
}

/** The proof `role` sends in a join handshake. */
export function joinProof(tokenSecret: string, role: Role, p: JoinProofInput): Uint8Array {
  return mac(joinProofKey(tokenSecret, p.tokenId), ['join', role, p.tokenId, p.clientNonce, p.serverNonce, p.name, p.addr]);
}

/** The key that seals the join payload: fresh for every handshake (both nonces are its salt). */
export function joinSealKey(tokenSecret: string, tokenId: string, clientNonce: Uint8Array, serverNonce: Uint8Array): Uint8Array {
  const salt = new Uint8Array(clientNonce.length + serverNonce.length);
  salt.set(clientNonce, 0);
  salt.set(serverNonce, clientNonce.length);
  return deriveKey(tokenSecret, salt, `starling/v1/join-seal/${tokenId}`);
}

// ---- member links (cluster secret) ----

export interface LinkProofInput {
  clientNonce: Uint8Array;
  serverNonce: Uint8Array;
  /** the node that opened the link */
  clientName: string;
  /** the node that accepted it */
  serverName: string;
}

/** Derive once per transport and keep: the key member-link proofs are made with. */
export function linkProofKey(clusterSecret: Uint8Array): Uint8Array {
  return deriveKey(clusterSecret, 'starling link v1', 'starling/v1/link-proof');
}

export function linkProof(key: Uint8Array, role: Role, p: LinkProofInput): Uint8Array {
  return mac(key, ['link', role, p.clientNonce, p.serverNonce, p.clientName, p.serverName]);
}

// ---- sealing ----

/** AES-256-GCM of msgpack(payload): `iv ‖ ciphertext ‖ tag`. `aad` is authenticated, not sent. */
export function seal(key: Uint8Array, payload: unknown, aad?: Uint8Array | string): Uint8Array {
  if (key.length !== 32) throw new StarlingError('Internal', 'seal: the key must be 32 bytes');
  const iv = randomBytes(IV_BYTES);
  const c = createCipheriv('aes-256-gcm', key, iv);
  if (aad !== undefined) c.setAAD(bytes(aad));
  const body = c.update(peerPackr.pack(payload));
  const last = c.final();
  const tag = c.getAuthTag();
  const out = new Uint8Array(IV_BYTES + body.length + last.length + TAG_BYTES);
  out.set(iv, 0);
  out.set(body, IV_BYTES);
  out.set(last, IV_BYTES + body.length);
  out.set(tag, out.length - TAG_BYTES);
  return out;
}

/** Opens what seal() made; StarlingError('Unauthorized') when the key, aad or bytes are wrong. */
export function unseal(key: Uint8Array, sealed: unknown, aad?: Uint8Array | string): unknown {
  if (!isBytes(sealed) || sealed.length < IV_BYTES + TAG_BYTES || key.length !== 32) {
    throw new StarlingError('Unauthorized', 'the sealed payload could not be opened');
  }
  let plain: Uint8Array;
  try {
    const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
    if (aad !== undefined) d.setAAD(bytes(aad));
    d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const a = d.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES));
    const b = d.final();
    plain = new Uint8Array(a.length + b.length);
    plain.set(a, 0);
    plain.set(b, a.length);
  } catch {
    throw new StarlingError('Unauthorized', 'the sealed payload could not be opened');
  }
  try {
    return peerPackr.unpack(plain);
  } catch (e) {
    throw new StarlingError('BadRequest', `the sealed payload is not msgpack: ${(e as Error).message}`);
  }
}
