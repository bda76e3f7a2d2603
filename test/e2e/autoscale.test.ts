// Docker e2e: a CPU-burning busybox container (with a CPU limit) makes its HorizontalPodAutoscaler
// scale the Deployment up; when the load stops, a short stabilisation window brings it back down.
// Each pod burns for 20 s after it starts, then idles.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withDockerNode } from '../support/e2e.ts';
import { until } from '../support/node-process.ts';

const test = suite('e2e docker: autoscaling');
const e = withDockerNode(test, 'e2e-hpa');

const MANIFEST = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: burner }
spec:
  replicas: 1
  selector: { matchLabels: { app: burner } }
  template:
    metadata: { labels: { app: burner } }
    spec:
      containers:
        - name: burn
          image: busybox:latest
          imagePullPolicy: IfNotPresent
          command: ["sh", "-c", "end=$(( $(date +%s) + 20 )); while [ $(date +%s) -lt $end ]; do :; done; exec sleep 3600"]
          resources:
            requests: { cpu: 100m }
            limits: { cpu: 200m }
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: burner }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: burner }
  minReplicas: 1
  maxReplicas: 3
  metrics:
    - type: Resource
      resource: { name: cpu, target: { type: Utilization, averageUtilization: 50 } }
  behavior:
    scaleDown: { stabilizationWindowSeconds: 5 }
`;

const replicas = async () => (await e.c.request('get', { kind: 'deploy', name: 'burner' })).spec.replicas as number;

test('load scales the Deployment up, and it comes back down when the load stops', async () => {
  const res = await e.c.request('apply', { manifest: MANIFEST });
  assert.equal(res.results.map((r: any) => r.outcome), ['created', 'created']);
  const hpa = await until('the HPA measuring high CPU', async () => {
    const h = await e.c.request('get', { kind: 'hpa', name: 'burner' });
    const u = h.status?.currentMetrics?.[0]?.resource?.current?.averageUtilization;
    return u !== undefined && u > 100 && h;
  }, 40_000, 500);
  assert.ok(hpa.status.desiredReplicas >= 2);
  const up = await until('scaled up', async () => ((await replicas()) >= 2 ? await replicas() : 0), 30_000, 500);
  assert.ok(up >= 2 && up <= 3, `within maxReplicas: ${up}`);
  const events = (await e.c.request('describe', { kind: 'hpa', name: 'burner' }))[0].events;
  assert.ok(events.some((ev: any) => ev.reason === 'SuccessfulRescale' && /New size: [23]/.test(ev.message)));
  await until('back down to 1 after the load stopped', async () => (await replicas()) === 1, 90_000, 1000);
  await e.c.request('delete', { kind: 'deployment', name: 'burner', wait: true });
  await e.c.request('delete', { kind: 'hpa', name: 'burner', wait: true });
});

test.run();
