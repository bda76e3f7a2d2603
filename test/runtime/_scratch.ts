import Docker from 'dockerode';
const d = new Docker({ socketPath: '/var/run/docker.sock' });
console.log('ping', String(await d.ping()));
const c = await d.createContainer({ Image: 'busybox:latest', Cmd: ['sleep', '30'], Labels: { 'io.starling.node': 'scratch' } });
const ev = await d.getEvents({ filters: { type: ['container'], event: ['start', 'die'], label: ['io.starling.node=scratch'] } });
ev.on('data', (b: Buffer) => console.log('event', b.toString().slice(0, 200)));
await c.start();
for (const hijack of [true, false]) {
  const ex = await c.exec({ Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 4'], AttachStdout: true, AttachStderr: true });
  const s = await ex.start({ hijack, stdin: false });
  const chunks: Buffer[] = [];
  s.on('data', (b: Buffer) => chunks.push(b));
  await new Promise((r) => s.on('end', r));
  console.log('hijack', hijack, JSON.stringify(Buffer.concat(chunks).toString()), (await ex.inspect()).ExitCode);
}
const logs = await c.logs({ stdout: true, stderr: true, follow: false });
console.log('logs type', typeof logs, Buffer.isBuffer(logs));
await c.kill();
await new Promise((r) => setTimeout(r, 500));
await c.remove({ force: true });
(ev as any).destroy();
console.log('done');
