// False deaths benchmark: N live nodes for a while with both cores kept busy by a CPU burner;
// no node is ever stopped, so every `dead` is a false death.
//
//   node --import tsx scripts/bench/false-deaths.ts [--quick] [--nodes N] [--seconds S]
//
// Starling: N nodes (default preset: 300 ms probes), each in its own process (as `starling node
// start` runs them), on 127.36.0.x. Every process reports each membership change its node sees;
// counted over the window: live nodes declared dead (by any observer: `false_deaths`, and how
// many distinct nodes), suspicions, and the event-loop delay of the node processes.
// Serf (the anchor, same run, same burner): N agents on 127.37.0.x; every "EventMemberFailed"
// in the window is a false positive.
// The burner: one busy-looping process per core, bounded by the window (+5 s), killed at the end.
// Full: 20 nodes for 600 s. --quick: 10 nodes for 30 s.

import { type ChildProcess, spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { emit, numberArg, progress, quick, round } from './lib.ts';
import { GroupCluster } from './groups.ts';
import { SerfCluster, serfVersion } from './serf.ts';

const N = numberArg('nodes', quick ? 10 : 20);
const SECONDS = numberArg('seconds', quick ? 30 : 600);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cluster = new GroupCluster({ nodes: N, perProcess: 1, prefix: `fd${process.pid}`, hostPrefix: '127.36.0' });
const serf = new SerfCluster({ n: N, prefix: `fd${process.pid}`, hostPrefix: '127.37.0' });
const burners: ChildProcess[] = [];

async function cleanup() {
  for (const b of burners) {
    if (b.pid && b.exitCode === null && b.signalCode === null) {
      try {
        process.kill(b.pid, 'SIGKILL');
      } catch { /* gone */ }
    }
  }
  await Promise.all([cluster.stop(), serf.stop()]);
}
process.on('exit', () => {
  for (const b of burners) if (b.pid && b.exitCode === null) try { process.kill(b.pid, 'SIGKILL'); } catch { /* gone */ }
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    progress(`${sig}: stopping`);
    cleanup().finally(() => process.exit(130));
  });
}

/** One busy loop per core, each ending by itself after `seconds`. */
function burn(seconds: number) {
  const code = `const end = Date.now() + ${Math.round(seconds * 1000)}; let x = 0; while (Date.now() < end) { for (let i = 0; i < 1e5; i++) x += i; }`;
  for (let i = 0; i < cpus().length; i++) burners.push(spawn(process.execPath, ['-e', code], { stdio: 'ignore' }));
}

let code = 0;
try {
  const version = serfVersion();
  progress(`starting ${N} Starling nodes (one process each) and ${N} Serf agents`);
  await Promise.all([cluster.start(), serf.start()]);
  await cluster.waitConverged();
  await cluster.watchMembers();
  const dead: { observer: string; member: string; at: number }[] = [];
  let suspicions = 0;
  let counting = false;
  cluster.on((m) => {
    if (m.ev !== 'member' || !counting) return;
    if (m.state === 'dead') dead.push({ observer: m.observer, member: m.member, at: m.at });
    if (m.state === 'suspect') suspicions++;
  });
  const serfFailed: string[] = [];
  serf.onLine((l) => {
    const f = /serf: EventMemberFailed: (\S+)/.exec(l.line);
    if (f && counting) serfFailed.push(`${l.name} saw ${f[1]}`);
  });
  await sleep(2000);
  await cluster.stats(); // resets the event-loop delay figures
  progress(`burning ${cpus().length} cores for ${SECONDS} s`);
  burn(SECONDS + 5);
  counting = true;
  const t0 = Date.now();
  let lagMax = 0;
  const cpu0 = (await cluster.stats()).reduce((s, g) => s + g.cpuS, 0);
  for (let i = 0; Date.now() - t0 < SECONDS * 1000 && i < 100_000; i++) {
    await sleep(Math.min(10_000, SECONDS * 1000 - (Date.now() - t0)));
    const s = await cluster.stats();
    lagMax = Math.max(lagMax, ...s.map((g) => g.lagMaxMs));
    progress(`  ${Math.round((Date.now() - t0) / 1000)} s: Starling ${dead.length} dead / ${suspicions} suspicions, Serf ${serfFailed.length} failed; event-loop delay max ${Math.round(lagMax)} ms`);
  }
  counting = false;
  const after = await cluster.stats();
  const wall = (Date.now() - t0) / 1000;
  const cpu = after.reduce((s, g) => s + g.cpuS, 0) - cpu0;
  const falseNodes = new Set(dead.map((d) => d.member));
  const met = falseNodes.size === 0;
  emit({
    benchmark: 'false-deaths',
    target: '0 live nodes declared dead',
    met,
    anchor: `Serf (${version}, memberlist LAN defaults, Lifeguard) with the same N agents under the same burner, same run; Lifeguard's paper: 50× fewer false positives than plain SWIM`,
    command: `node --import tsx scripts/bench/false-deaths.ts${quick ? ' --quick' : ''}`,
    ...(met ? {} : { note: `${falseNodes.size} live node(s) declared dead (${dead.length} observations): ${dead.slice(0, 5).map((d) => `${d.observer} → ${d.member}`).join(', ')}` }),
    nodes: N,
    seconds: SECONDS,
    false_deaths: falseNodes.size,
    dead_observations: dead.length,
    suspicions,
    serf_false_failures: serfFailed.length,
    event_loop_delay_max_ms: Math.round(lagMax),
    cpu_per_node_cores: round(cpu / wall / N, 4),
    rss_per_node_mib: round(after.reduce((s, g) => s + g.rss, 0) / N / 2 ** 20, 1),
  });
} catch (e) {
  progress(`FAILED: ${(e as Error).stack}\n${cluster.logs()}`);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
