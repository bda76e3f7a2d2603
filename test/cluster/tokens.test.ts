// Join tokens (kubeadm's form) and the crypto helpers under the join and the member links.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { StarlingError } from '../../src/errors.ts';
import {
  deriveKey,
  joinProof,
  joinSealKey,
  linkProof,
  linkProofKey,
  newClusterSecret,
  newNonce,
  proofsEqual,
  seal,
  unseal,
} from '../../src/cluster/peer-auth.ts';
import { INVALID_TOKEN_MESSAGE, isUsable, JOIN_TOKEN_RE, newJoinToken, parseJoinToken } from '../../src/cluster/tokens.ts';

const test = suite('cluster: join tokens and peer crypto');
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const DAY = 86_400_000;

test('newJoinToken makes kubeadm-style tokens that expire after the ttl', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const t = newJoinToken(NOW, DAY, 'for node-b');
    assert.ok(JOIN_TOKEN_RE.test(t.token), t.token);
    assert.is(t.token, `${t.id}.${t.secret}`);
    assert.is(t.expires, '2026-01-02T12:00:00Z');
    assert.is(t.description, 'for node-b');
    seen.add(t.token);
  }
  assert.is(seen.size, 200, 'tokens are random');
  assert.is(newJoinToken(NOW, 1000).description, '');
});

test('every character of the alphabet shows up (no bias to a subset)', () => {
  const chars = new Set<string>();
  for (let i = 0; i < 100; i++) for (const c of newJoinToken(NOW, DAY).secret) chars.add(c);
  assert.is(chars.size, 36);
});

test('a ttl must be positive', () => {
  for (const ttl of [0, -1, NaN, Infinity]) {
    try {
      newJoinToken(NOW, ttl);
      assert.unreachable(`ttl ${ttl}`);
    } catch (e) {
      assert.instance(e, StarlingError);
      assert.is((e as StarlingError).code, 'Invalid');
    }
  }
});

test('parseJoinToken splits id.secret and refuses anything else with the format', () => {
  assert.equal(parseJoinToken('abcdef.0123456789abcdef'), { id: 'abcdef', secret: '0123456789abcdef' });
  assert.equal(parseJoinToken(' abcdef.0123456789abcdef\n'), { id: 'abcdef', secret: '0123456789abcdef' });
  for (const bad of ['', 'abcdef', 'abcdef.', 'ABCDEF.0123456789abcdef', 'abcde.0123456789abcdef', 'abcdef.0123456789abcde', 'abcdef:0123456789abcdef', 'abcdef.0123456789abcdefg', 'abcdef.0123456789abcde!']) {
    try {
      parseJoinToken(bad);
      assert.unreachable(bad);
    } catch (e) {
      assert.instance(e, StarlingError);
      assert.is((e as StarlingError).code, 'Invalid');
      assert.is((e as StarlingError).message, INVALID_TOKEN_MESSAGE);
    }
  }
  assert.is(INVALID_TOKEN_MESSAGE, 'the join token must look like abcdef.0123456789abcdef ([a-z0-9]{6}.[a-z0-9]{16})');
});

test('isUsable: not revoked, not expired, well formed', () => {
  const t = newJoinToken(NOW, DAY);
  const rec = { id: t.id, secret: t.secret, expires: t.expires };
  assert.ok(isUsable(rec, NOW));
  assert.ok(isUsable(rec, NOW + DAY - 1));
  assert.not.ok(isUsable(rec, NOW + DAY), 'expired at the instant');
  assert.not.ok(isUsable({ ...rec, revoked: true }, NOW));
  assert.not.ok(isUsable(undefined, NOW));
  assert.not.ok(isUsable({ ...rec, expires: 'never' }, NOW));
  assert.not.ok(isUsable({ ...rec, secret: 'short' }, NOW));
});

test('proofs depend on the role, both nonces, the names and the secret', () => {
  const secret = newClusterSecret();
  const key = linkProofKey(secret);
  const base = { clientNonce: newNonce(), serverNonce: newNonce(), clientName: 'a', serverName: 'b' };
  const p = linkProof(key, 'client', base);
  assert.is(p.length, 32);
  assert.ok(proofsEqual(p, linkProof(linkProofKey(new Uint8Array(secret)), 'client', base)));
  assert.not.ok(proofsEqual(p, linkProof(key, 'server', base)));
  assert.not.ok(proofsEqual(p, linkProof(key, 'client', { ...base, clientNonce: newNonce() })));
  assert.not.ok(proofsEqual(p, linkProof(key, 'client', { ...base, serverNonce: newNonce() })));
  assert.not.ok(proofsEqual(p, linkProof(key, 'client', { ...base, clientName: 'ab', serverName: '' })));
  assert.not.ok(proofsEqual(p, linkProof(linkProofKey(newClusterSecret()), 'client', base)));
  assert.not.ok(proofsEqual('x', p));
  assert.not.ok(proofsEqual(p.subarray(1), p));
  const j = { tokenId: 'abcdef', clientNonce: base.clientNonce, serverNonce: base.serverNonce, name: 'n', addr: '127.0.0.1:1' };
  const jp = joinProof('0123456789abcdef', 'server', j);
  assert.ok(proofsEqual(jp, joinProof('0123456789abcdef', 'server', j)));
  assert.not.ok(proofsEqual(jp, joinProof('0123456789abcdeg', 'server', j)));
  assert.not.ok(proofsEqual(jp, joinProof('0123456789abcdef', 'client', j)));
  assert.not.ok(proofsEqual(jp, joinProof('0123456789abcdef', 'server', { ...j, addr: '127.0.0.1:2' })));
});

test('seal/unseal round-trips msgpack and refuses a wrong key, aad or tampering', () => {
  const cn = newNonce();
  const sn = newNonce();
  const key = joinSealKey('0123456789abcdef', 'abcdef', cn, sn);
  assert.is(key.length, 32);
  assert.not.equal(key, joinSealKey('0123456789abcdef', 'abcdef', sn, cn));
  const payload = { clusterId: 'c1', clusterSecret: newClusterSecret(), members: [{ name: 'a', addr: '127.0.0.1:1' }] };
  const sealed = seal(key, payload, 'aad');
  const opened = unseal(key, sealed, 'aad') as typeof payload;
  assert.is(opened.clusterId, 'c1');
  assert.equal([...opened.clusterSecret], [...payload.clusterSecret]);
  assert.equal(opened.members, payload.members);
  const refused = (f: () => unknown) => {
    try {
      f();
      assert.unreachable();
    } catch (e) {
      assert.is((e as StarlingError).code, 'Unauthorized');
    }
  };
  refused(() => unseal(deriveKey('other', 'salt', 'info'), sealed, 'aad'));
  refused(() => unseal(key, sealed, 'other aad'));
  const tampered = new Uint8Array(sealed);
  tampered[20] ^= 1;
  refused(() => unseal(key, tampered, 'aad'));
  refused(() => unseal(key, sealed.subarray(0, 10), 'aad'));
  refused(() => unseal(key, 'not bytes', 'aad'));
});

test.run();
