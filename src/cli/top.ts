// `starling top pods|nodes`: measured CPU and memory, in kubectl top's layout.

import type { ApiClient } from '../api/client.ts';
import { StarlingError } from '../errors.ts';
import type { NodeMetrics, PodMetrics } from '../host/metrics.ts';
import { flagStr, type Parsed } from './args.ts';
import type { Out } from './commands.ts';
import { renderTable } from './format/index.ts';
import { compareText } from '../../actors/canonical.ts';

const cpu = (m: number) => `${Math.round(m)}m`;
const mem = (b: number) => `${Math.round(b / 2 ** 20)}Mi`;
const pct = (a: number, b: number) => (b > 0 ? `${Math.round((a / b) * 100)}%` : '<unknown>');

export async function top(c: ApiClient, p: Parsed, o: Out) {
  const what = p.positional[0];
  const m = await c.request<{ pods: PodMetrics[]; nodes: NodeMetrics[] }>('top');
  if (/^(nodes?|no)$/.test(what ?? '')) {
    const rows = m.nodes.sort((a, b) => compareText(a.name, b.name))
      .map((n) => [n.name, cpu(n.cpuMillis), pct(n.cpuMillis, n.cpuCapacityMillis), mem(n.memoryBytes), pct(n.memoryBytes, n.memoryCapacityBytes)]);
    o.out(renderTable(['NAME', 'CPU(cores)', 'CPU%', 'MEMORY(bytes)', 'MEMORY%'], rows).replace(/\n$/, ''));
    return;
  }
  if (!/^(pods?|po)$/.test(what ?? '')) throw new StarlingError('BadRequest', 'expected: starling top pods [-n NS|-A] | top nodes');
  const all = p.flags['all-namespaces'] === true;
  const ns = flagStr(p, 'namespace') ?? 'default';
  const pods = m.pods.filter((x) => all || x.namespace === ns)
    .sort((a, b) => compareText(a.namespace, b.namespace) || compareText(a.name, b.name));
  if (pods.length === 0) {
    o.err(all ? 'No resources found' : `No resources found in ${ns} namespace.`);
    return;
  }
  const sum = (x: PodMetrics, f: 'cpuMillis' | 'memoryBytes') => x.containers.reduce((n, c) => n + c[f], 0);
  const rows = pods.map((x) => [...(all ? [x.namespace] : []), x.name, cpu(sum(x, 'cpuMillis')), mem(sum(x, 'memoryBytes'))]);
  o.out(renderTable([...(all ? ['NAMESPACE'] : []), 'NAME', 'CPU(cores)', 'MEMORY(bytes)'], rows).replace(/\n$/, ''));
}
