// The Service proxy over plain TCP servers on loopback: round robin, ClientIP affinity and its
// timeout, endpoint changes (new connections only; established ones keep going), an endpoint that
// refuses, a port already in use (reported once, bound when it frees up), conflicting Services,
// NodePorts, and a deleted Service's port closed. Every socket is on 127.0.0.0/8 and every loop
// is bounded.

import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SimulatedClock, systemClock } from '../../src/clock.ts';
import { ServiceProxy } from '../../src/proxy/proxy.ts';
import type { ProxyService } from '../../src/proxy/table.ts';

const test = suite('proxy: TCP balancing on loopback');
const HOST = '127.0.0.1';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on loopback (listen on 0, close). */
async function freePort(host = HOST): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, host, () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A backend that answers every connection with its name and closes. */
async function backend(name: string): Promise<{ port: number; server: Server }> {
  const server = createServer((c) => c.end(name));
  await new Promise<void>((r) => server.listen(0, HOST, () => r()));
  return { port: (server.address() as { port: number }).port, server };
}

/** Connects, reads until the other side closes; '' when closed without data. Bounded: 3 s. */
function get(port: number, opts: { host?: string; localAddress?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: opts.host ?? HOST, port, localAddress: opts.localAddress });
    let data = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer on ${port} in 3 s`));
    }, 3000);
    s.on('data', (d) => (data += d));
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}

async function until<T>(what: string, check: () => T | Promise<T>, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const servers: Server[] = [];
const proxies: ServiceProxy[] = [];
let backends: { port: number; name: string }[] = [];

test.before(async () => {
  for (const name of ['a', 'b', 'c']) {
    const b = await backend(name);
    servers.push(b.server);
    backends.push({ port: b.port, name });
  }
});
test.after(async () => {
  for (const p of proxies) await p.stop();
  for (const s of servers) await new Promise((r) => s.close(r));
});

interface Reported {
  service: string;
  reason: string;
  message: string;
}

function makeProxy(opts: { clock?: SimulatedClock; retryMs?: number; secondary?: string } = {}) {
  const reported: Reported[] = [];
  const logs: string[] = [];
  const proxy = new ServiceProxy({
    addresses: [{ host: HOST }, ...(opts.secondary ? [{ host: opts.secondary, secondary: true }] : [])],
    clock: opts.clock ?? systemClock,
    retryMs: opts.retryMs ?? 100,
    report: (service, reason, message) => reported.push({ service, reason, message }),
    log: (m) => logs.push(m),
  });
  proxies.push(proxy);
  return { proxy, reported, logs };
}

const service = (port: number, endpoints: { port: number }[], over: Partial<ProxyService> = {}): ProxyService => ({
  key: 'Service/default/web',
  created: '2026-01-01T00:00:00Z',
  ports: [{ name: '', port, endpoints: endpoints.map((e) => ({ host: HOST, port: e.port })) }],
  ...over,
});

test('round robin over the endpoints, one connection after another', async () => {
  const { proxy } = makeProxy();
  const port = await freePort();
  proxy.update([service(port, backends)]);
  await until('listening', () => proxy.listening().includes(`${HOST}:${port}`));
  const answers: string[] = [];
  for (let i = 0; i < 6; i++) answers.push(await get(port));
  assert.equal(answers, ['a', 'b', 'c', 'a', 'b', 'c']);
  await proxy.stop();
});

test('ClientIP affinity keeps each client on one endpoint until the timeout', async () => {
  const clock = new SimulatedClock();
  const { proxy } = makeProxy({ clock });
  const port = await freePort();
  proxy.update([service(port, backends, { affinityMs: 10_800_000 })]);
  await until('listening', () => proxy.listening().length === 1);
  const one = await get(port, { localAddress: '127.0.0.1' });
  for (let i = 0; i < 4; i++) assert.is(await get(port, { localAddress: '127.0.0.1' }), one, 'same client, same endpoint');
  const other = await get(port, { localAddress: '127.0.0.2' });
  assert.is.not(other, one, 'another client takes the next endpoint');
  for (let i = 0; i < 3; i++) assert.is(await get(port, { localAddress: '127.0.0.2' }), other);
  // still within 3 h: the affinity holds
  clock.advance(10_799_000);
  assert.is(await get(port, { localAddress: '127.0.0.1' }), one);
  // each connection renews it; 3 h of silence ends it and round robin goes on
  clock.advance(10_800_001);
  const after = await get(port, { localAddress: '127.0.0.1' });
  assert.ok(['a', 'b', 'c'].includes(after));
  assert.is(await get(port, { localAddress: '127.0.0.1' }), after, 'a new affinity is made');
  await proxy.stop();
});

test('affinity to an endpoint that is gone moves the client to a current one', async () => {
  const { proxy } = makeProxy();
  const port = await freePort();
  proxy.update([service(port, backends, { affinityMs: 60_000 })]);
  await until('listening', () => proxy.listening().length === 1);
  const first = await get(port);
  const rest = backends.filter((b) => b.name !== first);
  proxy.update([service(port, rest, { affinityMs: 60_000 })]);
  const next = await get(port);
  assert.ok(rest.some((b) => b.name === next), next);
  for (let i = 0; i < 3; i++) assert.is(await get(port), next);
  await proxy.stop();
});

test('after an endpoint is removed new connections never reach it; an established connection keeps going', async () => {
  // an echo backend, to hold a connection open across the change
  const echo = createServer((c) => c.pipe(c));
  await new Promise<void>((r) => echo.listen(0, HOST, () => r()));
  servers.push(echo);
  const echoPort = (echo.address() as { port: number }).port;
  const { proxy } = makeProxy();
  const port = await freePort();
  proxy.update([service(port, [{ port: echoPort }])]);
  await until('listening', () => proxy.listening().length === 1);
  const held: Socket = createConnection({ host: HOST, port });
  await new Promise((r) => held.once('connect', r));
  held.write('one');
  assert.is(String(await new Promise((r) => held.once('data', r))), 'one');
  // the echo endpoint goes, a and b come
  proxy.update([service(port, backends.slice(0, 2))]);
  const answers = new Set<string>();
  for (let i = 0; i < 6; i++) answers.add(await get(port));
  assert.equal([...answers].sort(), ['a', 'b']);
  held.write('two');
  assert.is(String(await new Promise((r) => held.once('data', r))), 'two', 'the established connection still works');
  held.destroy();
  // no endpoints at all: connections are closed at once, with nothing
  proxy.update([service(port, [])]);
  assert.is(await get(port), '');
  await proxy.stop();
});

test('an endpoint that refuses connections is skipped', async () => {
  const { proxy } = makeProxy();
  const port = await freePort();
  const dead = await freePort();
  proxy.update([service(port, [{ port: dead }, backends[0], { port: dead }, backends[1]])]);
  await until('listening', () => proxy.listening().length === 1);
  const answers: string[] = [];
  for (let i = 0; i < 8; i++) answers.push(await get(port));
  assert.ok(answers.every((a) => a === 'a' || a === 'b'), answers.join(','));
  assert.ok(answers.includes('a') && answers.includes('b'));
  // every endpoint refusing: the client's connection is closed
  proxy.update([service(port, [{ port: dead }])]);
  assert.is(await get(port), '');
  await proxy.stop();
});

test('NodePort: the Service answers on its port and its node port', async () => {
  const { proxy } = makeProxy();
  const port = await freePort();
  const nodePort = await freePort();
  proxy.update([{ key: 'Service/default/web', created: '', ports: [{ name: 'http', port, nodePort, endpoints: [{ host: HOST, port: backends[0].port }] }] }]);
  await until('listening', () => proxy.listening().length === 2);
  assert.is(await get(port), 'a');
  assert.is(await get(nodePort), 'a');
  await proxy.stop();
});

test('a port already in use: reported once as PortInUse, bound when it frees up, never a crash', async () => {
  const { proxy, reported } = makeProxy({ retryMs: 50 });
  const squatter = createServer((c) => c.end('squatter'));
  const port = await freePort();
  await new Promise<void>((r) => squatter.listen(port, HOST, () => r()));
  proxy.update([service(port, [backends[2]])]);
  await until('the failure reported', () => reported.length > 0);
  await sleep(300); // several retries
  assert.equal(reported, [{ service: 'Service/default/web', reason: 'PortInUse', message: `listen tcp ${HOST}:${port}: bind: address already in use` }]);
  assert.is(await get(port), 'squatter');
  await new Promise((r) => squatter.close(r));
  await until('bound after the port was freed', () => proxy.listening().includes(`${HOST}:${port}`));
  assert.is(await get(port), 'c');
  assert.is(reported.length, 1);
  await proxy.stop();
});

test('two Services on one port: the older keeps it, the newer gets PortInUse', async () => {
  const { proxy, reported } = makeProxy();
  const port = await freePort();
  const older = service(port, [backends[0]], { key: 'Service/default/old', created: '2026-01-01T00:00:00Z' });
  const newer = service(port, [backends[1]], { key: 'Service/other/new', created: '2026-01-02T00:00:00Z' });
  proxy.update([newer, older]);
  await until('listening', () => proxy.listening().length === 1);
  assert.is(await get(port), 'a');
  assert.equal(reported, [{ service: 'Service/other/new', reason: 'PortInUse', message: `listen tcp ${HOST}:${port}: port ${port} is already used by Service default/old` }]);
  proxy.update([newer, older]);
  assert.is(reported.length, 1, 'reported once');
  // the older one goes: the newer one gets the port
  proxy.update([newer]);
  assert.is(await get(port), 'b');
  await proxy.stop();
});

test('a deleted Service: its port is closed', async () => {
  const { proxy } = makeProxy();
  const port = await freePort();
  proxy.update([service(port, [backends[0]])]);
  await until('listening', () => proxy.listening().length === 1);
  assert.is(await get(port), 'a');
  proxy.update([]);
  assert.equal(proxy.listening(), []);
  await until('port closed', async () => {
    try {
      await get(port);
      return false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ECONNREFUSED';
    }
  });
  await proxy.stop();
});

test('a secondary address that cannot be bound is logged, not reported', async () => {
  const { proxy, reported, logs } = makeProxy({ secondary: '127.0.0.3' });
  const port = await freePort();
  const squatter = createServer();
  await new Promise<void>((r) => squatter.listen(port, '127.0.0.3', () => r()));
  proxy.update([service(port, [backends[0]])]);
  await until('logged', () => logs.length > 0);
  assert.equal(reported, []);
  assert.ok(logs[0].includes(`listen tcp 127.0.0.3:${port}: bind: address already in use`), logs[0]);
  assert.is(await get(port), 'a', 'the primary address serves');
  await new Promise((r) => squatter.close(r));
  await until('secondary bound', () => proxy.listening().includes(`127.0.0.3:${port}`));
  assert.is(await get(port, { host: '127.0.0.3' }), 'a');
  await proxy.stop();
});

test('stop closes the listeners and the connections it proxies', async () => {
  const echo = createServer((c) => c.pipe(c));
  await new Promise<void>((r) => echo.listen(0, HOST, () => r()));
  servers.push(echo);
  const { proxy } = makeProxy();
  const port = await freePort();
  proxy.update([service(port, [{ port: (echo.address() as { port: number }).port }])]);
  await until('listening', () => proxy.listening().length === 1);
  const held = createConnection({ host: HOST, port });
  await new Promise((r) => held.once('connect', r));
  held.write('x');
  await new Promise((r) => held.once('data', r));
  const closed = new Promise((r) => held.once('close', r));
  await proxy.stop();
  await closed;
  assert.equal(proxy.listening(), []);
});

test.run();
