// A Node object's status comes from its actor, and only once membership has described the node:
// an actor made on a member that has not heard of the node yet (the Node object replicated
// before the member's gossip) writes nothing, rather than Ready with no address or capacity.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SimulatedClock } from '../../src/clock.ts';
import { ActorHost } from '../../src/host/actor-host.ts';
import { nodeBinding } from '../../src/host/controllers.ts';
import { ObjectService } from '../../src/host/objects.ts';
import type { KObject } from '../../src/objects/types.ts';
import { MemoryKV } from '../../src/store/kv.ts';
import { Store } from '../../src/store/store.ts';

const test = suite('host: Node status from its actor');

/** One event-loop turn: an actor's snapshot is written at the end of the turn it changed in. */
const turn = () => new Promise<void>((r) => setImmediate(r));

test('no status until membership describes the node; then Ready with its address and capacity', async () => {
  const clock = new SimulatedClock(Date.UTC(2026, 0, 1));
  const store = new Store(new MemoryKV(), { eventsPerObject: 10 });
  await store.open();
  const errors: unknown[] = [];
  const host = new ActorHost(store, clock, 'n1', 20, (_k, e) => errors.push(e));
  const objects = new ObjectService(store, host, clock, (e) => errors.push(e));
  host.bind(nodeBinding(objects, 60_000, () => clock.now(), () => {}));
  const obj: KObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2' }, spec: {} };
  await store.commit({ put: [obj] });
  const key = 'Node//n2';
  host.ensure(store.get(key)!, key);
  await turn();
  assert.is(store.actor(key)?.state, host.state(key), 'the actor record is written');
  assert.is(store.get(key)!.status, undefined, 'no status: nothing is known of n2 yet');

  const meta = { addr: '127.0.0.2:7000', cpuMillis: 2000, memoryBytes: 4 * 1024 ** 3, version: '0.1.0', runtime: 'sim' };
  host.send(key, { type: 'MEMBER', state: 'alive', meta, at: clock.now() });
  await turn();
  const status = store.get(key)!.status;
  assert.equal(status.conditions.map((c: any) => [c.type, c.status]), [['Ready', 'True']]);
  assert.equal(status.addresses, [{ type: 'InternalIP', address: '127.0.0.2' }]);
  assert.is(status.allocatable.cpu, '2000m');

  host.send(key, { type: 'MEMBER', state: 'suspect', meta, at: clock.now() });
  await turn();
  assert.is(store.get(key)!.status.conditions[0].status, 'Unknown');
  assert.equal(errors, []);
  host.stopAll();
  await store.close();
});

test.run();
