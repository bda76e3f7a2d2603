#!/usr/bin/env node
// The `starling` CLI on Node. The TypeScript sources run as one JavaScript bundle, made with
// esbuild (which tsx brings) into node_modules/.cache/starling/ on first use and again whenever
// a source file, the lock file or this file changes (the bundle's name is a hash of their paths,
// sizes and mtimes). A plain JavaScript module needs no loader: tsx's loader runs in a thread of
// its own, which costs a node about 30 MB and a third of its start-up time. Without esbuild,
// when the bundle cannot be made (e.g. a source file being edited does not parse), or with
// STARLING_NO_BUNDLE=1, the sources are loaded with tsx's loader instead.
// Either way the CLI runs in this one process (only the build is a child process), so signals
// sent to `starling node start` reach the node itself.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;

/** Path, size and mtime of every source file the CLI is built from. */
function sourceStamp() {
  const parts = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|js|mjs|json)$/.test(e.name)) {
        const s = statSync(p);
        parts.push(`${p}:${s.size}:${s.mtimeMs}`);
      }
    }
  };
  walk(join(root, 'src'));
  walk(join(root, 'actors'));
  // this file holds the build's options, and the lock file the versions of the bundled packages
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'bin/starling.js']) {
    const s = statSync(join(root, f), { throwIfNoEntry: false });
    parts.push(s ? `${f}:${s.size}:${s.mtimeMs}` : `${f}:none`);
  }
  return createHash('sha256').update(parts.sort().join('\n')).digest('hex').slice(0, 20);
}

/** The bundle for the current sources, made if missing; undefined when it cannot be had. */
async function bundle() {
  if (process.env.STARLING_NO_BUNDLE) return undefined;
  try {
    const dir = join(root, 'node_modules', '.cache', 'starling');
    const out = join(dir, `starling-${sourceStamp()}.mjs`);
    if (existsSync(out)) return out;
    mkdirSync(dir, { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    // built in a short-lived process: esbuild's module and buffers would stay in this one (a node
    // that made the bundle was 11-14 MB bigger for the rest of its life)
    const options = {
      entryPoints: [join(root, 'src', 'cli', 'main.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // the pure-JavaScript packages are bundled too: Node then neither resolves them nor scans
      // their CommonJS for exports (a node starts about 50 ms sooner and is about 6 MB smaller);
      // native addons and dockerode (see src/runtime/docker-stubs.ts) load from node_modules
      external: ['level', 'classic-level', 'msgpackr-extract', 'dockerode'],
      // a third smaller, so a third less source for V8 to parse and keep (about 1.5 MB of a
      // node's memory); identifiers are kept, so stack traces still name the functions
      minifyWhitespace: true,
      minifySyntax: true,
      // the bundled CommonJS packages require() Node's own modules
      banner: { js: "import { createRequire as __starlingRequire } from 'node:module'; const require = __starlingRequire(import.meta.url);" },
      outfile: tmp,
      logLevel: 'silent',
    };
    const built = spawnSync(process.execPath, ['--input-type=module', '-e',
      `import { buildSync } from 'esbuild'; buildSync(${JSON.stringify(options)});`], { cwd: root, stdio: 'ignore' });
    if (built.status !== 0 || !existsSync(tmp)) return undefined;
    renameSync(tmp, out); // atomic: a concurrent start sees the whole bundle or none
    // older bundles go once nobody can be about to load them
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (p !== out && f.startsWith('starling-') && Date.now() - statSync(p).mtimeMs > 10 * 60_000) rmSync(p, { force: true });
    }
    return out;
  } catch {
    return undefined;
  }
}

const bundled = await bundle();
if (bundled) {
  await import(pathToFileURL(bundled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
