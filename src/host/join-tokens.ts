// Join tokens as replicated cluster state: each is a BootstrapToken object (cluster-scoped, named
// by the token id, like Kubernetes' bootstrap-token Secrets), so a token made on any node admits
// a joining node at every node, and deleting it revokes it everywhere.

import { newJoinToken, type TokenRecord, type TokenRegistry } from '../cluster/tokens.ts';
import { StarlingError } from '../errors.ts';
import type { KObject } from '../objects/types.ts';
import { objectKey } from '../objects/types.ts';
import type { Store } from '../store/store.ts';
import type { ObjectService } from './objects.ts';
import { compareText } from '../../actors/canonical.ts';

export const TOKEN_KIND = 'BootstrapToken';

export interface TokenInfo {
  id: string;
  /** the whole token, only when it is made */
  token?: string;
  expires: string;
  description: string;
}

export function tokenRegistry(store: Store): TokenRegistry {
  return {
    find(id: string): TokenRecord | undefined {
      const o = store.get(objectKey(TOKEN_KIND, '', id));
      return o && { id, secret: String(o.spec?.secret ?? ''), expires: String(o.spec?.expires ?? '') };
    },
  };
}

export async function createToken(objects: ObjectService, now: number, ttlMs: number, description = '', fixed?: string): Promise<TokenInfo> {
  const t = fixed
    ? { id: fixed.split('.')[0], secret: fixed.split('.')[1], token: fixed, expires: new Date(now + ttlMs).toISOString().replace(/\.\d{3}Z$/, 'Z'), description }
    : newJoinToken(now, ttlMs, description);
  const obj: KObject = {
    apiVersion: 'starling.io/v1',
    kind: TOKEN_KIND,
    metadata: { name: t.id },
    spec: { secret: t.secret, expires: t.expires, description },
  };
  await objects.apply([obj]);
  return { id: t.id, token: t.token, expires: t.expires, description };
}

export function listTokens(store: Store): TokenInfo[] {
  return store.list(TOKEN_KIND).map((o) => ({
    id: o.metadata.name,
    expires: String(o.spec?.expires ?? ''),
    description: String(o.spec?.description ?? ''),
  })).sort((a, b) => compareText(a.expires, b.expires));
}

export function deleteToken(objects: ObjectService, id: string) {
  const idPart = id.split('.')[0];
  if (!objects.delete(objectKey(TOKEN_KIND, '', idPart))) {
    throw new StarlingError('NotFound', `bootstrap token "${idPart}" not found`);
  }
  return idPart;
}
