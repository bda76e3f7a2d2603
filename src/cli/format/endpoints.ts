// `get endpoints` rows, as kubectl prints them: NAME, ENDPOINTS (address:port pairs of the ready
// addresses, at most three, then `+ N more...`; `<none>` without any), AGE.

import type { KObject } from '../../objects/types.ts';
import { formatAge } from './age.ts';

export const ENDPOINTS_HEADERS = ['NAME', 'ENDPOINTS', 'AGE'];

interface Subset {
  addresses?: { ip: string }[];
  ports?: { name?: string; port: number }[];
}

const joinHostPort = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

/** kubectl's formatEndpoints (pkg/printers/internalversion/printers.go), with no port filter. */
export function formatEndpoints(subsets: Subset[] | undefined): string {
  if (!subsets || subsets.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    if (!ss.ports || ss.ports.length === 0) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(a.ip);
      }
      continue;
    }
    for (const p of ss.ports) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(joinHostPort(a.ip, p.port));
      }
    }
  }
  const ret = list.join(',');
  return more ? `${ret} + ${count - max} more...` : ret;
}

export function endpointsRow(ep: KObject, now: number): string[] {
  return [ep.metadata.name, formatEndpoints(ep.subsets as Subset[] | undefined), formatAge(ep.metadata.creationTimestamp, now)];
}
