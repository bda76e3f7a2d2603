// The `starling` command. Errors go to stderr as `error: ...` with a non-zero exit.

import process from 'node:process';
import { StarlingError } from '../errors.ts';
import { type FlagSpec, parseArgs } from './args.ts';
import { connect } from './client-config.ts';
import { actors, apply, deleteCmd, describeCmd, exec, get, logs, version } from './commands.ts';
import { NODE_START_FLAGS, nodeStart } from './node-start.ts';
import { rollout, scale } from './rollout.ts';
import { cordon, drain, token } from './cluster-commands.ts';
import { top } from './top.ts';

const USAGE = `starling: a decentralised, Kubernetes-style container orchestrator

Usage:
  starling node start --data-dir DIR [--listen HOST:PORT] [--name NAME] [--runtime docker|sim]
                      [--cpu N] [--memory QTY] [--join HOST:PORT --token TOKEN]
  starling apply -f FILE|DIR|-                   create or update objects from manifests
  starling get KIND [NAME] [-n NS|-A] [-l SEL] [-o wide|json|yaml|name] [-w]
  starling describe KIND [NAME] [-n NS]          details and events
  starling delete KIND NAME... | -f FILE         delete objects (and what they own)
  starling logs POD [-c CONTAINER] [-f] [--tail N]
  starling exec POD [-c CONTAINER] -- COMMAND [ARGS...]
  starling actors [KIND[/NAME]] [-o json]        the state machines behind the objects
  starling rollout status deployment/NAME [--timeout 10m]
  starling rollout history deployment/NAME [--revision N]
  starling rollout undo deployment/NAME [--to-revision N]
  starling rollout restart|pause|resume deployment/NAME
  starling scale deployment/NAME|rs/NAME --replicas N
  starling token create [--ttl 24h] [--description TEXT] | token list | token delete ID
  starling cordon NODE | uncordon NODE | drain NODE [--force] [--timeout 5m]
  starling top pods [-n NS|-A] | top nodes             measured CPU and memory
  starling version

Global flags:
  --config FILE      client config (default: $STARLING_CONFIG, else ~/.starling/config)
  --server HOST:PORT send the request to this node, with the same credentials
  -n, --namespace NS
`;

const CLIENT_FLAGS: Record<string, FlagSpec> = {
  config: { value: true },
  server: { value: true },
  namespace: { short: 'n', value: true },
  'all-namespaces': { short: 'A' },
  selector: { short: 'l', value: true },
  output: { short: 'o', value: true },
  watch: { short: 'w' },
  filename: { short: 'f', value: true, repeat: true },
  container: { short: 'c', value: true },
  follow: { short: 'f' },
  tail: { value: true },
  wait: {},
  timeout: { value: true },
  ttl: { value: true },
  description: { value: true },
  force: {},
  replicas: { value: true },
  revision: { value: true },
  'to-revision': { value: true },
  help: { short: 'h' },
};

const io = {
  out: (s: string) => process.stdout.write(s + '\n'),
  err: (s: string) => process.stderr.write(s + '\n'),
  raw: (b: Uint8Array) => process.stdout.write(b),
  rawErr: (b: Uint8Array) => process.stderr.write(b),
};

/** Global flags may come before the command (`starling --config F get pods`): move them after it. */
function commandFirst(argv: string[]): string[] {
  const lead: string[] = [];
  let i = 0;
  while (i < argv.length && /^--(config|server)(=|$)/.test(argv[i])) {
    lead.push(argv[i]);
    if (!argv[i].includes('=')) lead.push(argv[i + 1] ?? '');
    i += argv[i].includes('=') ? 1 : 2;
  }
  return [...argv.slice(i, i + 1), ...lead, ...argv.slice(i + 1)];
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = commandFirst(argv);
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    io.out(USAGE);
    return cmd ? 0 : 1;
  }
  if (cmd === 'node') {
    if (rest[0] !== 'start') throw new StarlingError('BadRequest', `unknown command "node ${rest[0] ?? ''}": use "starling node start"`);
    return nodeStart(parseArgs(rest.slice(1), NODE_START_FLAGS));
  }
  // -f means --filename for apply/delete and --follow for logs, as in kubectl
  const flags = { ...CLIENT_FLAGS };
  if (cmd === 'logs') delete (flags as any).filename;
  else delete (flags as any).follow;
  const p = parseArgs(rest, flags);
  if (p.flags.help) {
    io.out(USAGE);
    return 0;
  }
  const commands: Record<string, (c: Awaited<ReturnType<typeof connect>>) => Promise<number | void>> = {
    apply: (c) => apply(c, p, io),
    get: (c) => get(c, p, io),
    describe: (c) => describeCmd(c, p, io),
    delete: (c) => deleteCmd(c, p, io),
    logs: (c) => logs(c, p, io),
    exec: (c) => exec(c, p, io),
    actors: (c) => actors(c, p, io),
    version: (c) => version(c, io),
    rollout: (c) => rollout(c, p, io),
    scale: (c) => scale(c, p, io),
    token: (c) => token(c, p, io),
    cordon: (c) => cordon(c, p, io, true),
    uncordon: (c) => cordon(c, p, io, false),
    drain: (c) => drain(c, p, io),
    top: (c) => top(c, p, io),
  };
  const run = commands[cmd];
  if (!run) throw new StarlingError('BadRequest', `unknown command "${cmd}" for "starling"; run 'starling help' for usage`);
  const client = await connect({ config: p.flags.config as string | undefined, server: p.flags.server as string | undefined });
  try {
    return (await run(client)) ?? 0;
  } finally {
    client.close();
  }
}

function flushAndExit(code: number) {
  // let stdout drain before exiting (piped output)
  if (process.stdout.writableLength === 0) process.exit(code);
  process.stdout.once('drain', () => process.exit(code));
}

main(process.argv.slice(2)).then(flushAndExit, (e) => {
  const err = e instanceof StarlingError ? e : null;
  io.err(`error: ${err ? err.message : (e as Error)?.stack ?? String(e)}`);
  flushAndExit(1);
});
