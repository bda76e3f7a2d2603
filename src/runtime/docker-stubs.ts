// The parts of dockerode's dependency tree that Starling never uses, kept from loading.
//
// Starling talks to the Docker Engine API over the local Unix socket only. dockerode requires,
// when it is loaded, docker-modem's SSH transport (ssh2, for DOCKER_HOST=ssh://…) and its
// BuildKit session (@grpc/grpc-js and @grpc/proto-loader, which brings protobufjs, for
// buildImage with registry credentials): 10 MB of RSS when loaded, still about 4 MB of V8 heap
// and 1 MB of the node binary's code pages in an idle node. Before dockerode is required, each
// of those packages is put into the CommonJS module cache (`require.cache`: "adding or
// replacing entries is also possible", Node's docs) as a stand-in whose every call or `new`
// throws an error naming the feature; its properties are stand-ins too, so requiring and
// reading them is harmless. dockerode itself, docker-modem and everything Starling calls are the
// real modules. A package already loaded for real (e.g. by a test's own dockerode) is left as it
// is. (docker-modem lets DOCKER_HOST=tcp://… or ssh://… override the socket path; with ssh://
// the node now fails with that error instead of dialling over SSH.)

import { createRequire, Module } from 'node:module';

/** [package, the package that requires it, what it serves] */
const UNUSED: readonly [pkg: string, from: 'docker-modem' | 'dockerode', feature: string][] = [
  ['ssh2', 'docker-modem', "docker-modem's SSH transport (DOCKER_HOST=ssh://…)"],
  ['@grpc/grpc-js', 'dockerode', "dockerode's BuildKit session (buildImage with registry credentials)"],
  ['@grpc/proto-loader', 'dockerode', "dockerode's BuildKit session (buildImage with registry credentials)"],
];

/** A stand-in for `pkg` (or one of its exports) that throws when called or constructed. */
function unavailable(pkg: string, feature: string): unknown {
  const fail = (): never => {
    throw new Error(
      `${feature} is not available in Starling (${pkg} is not loaded: ` +
        'Starling talks to the Docker Engine on its local Unix socket only)',
    );
  };
  return new Proxy(function unavailable() {}, {
    get: (_t, key) => (typeof key === 'symbol' || key === 'then' ? undefined : unavailable(pkg, feature)),
    apply: fail,
    construct: fail,
  });
}

/**
 * Puts the stand-ins into the module cache of `req` (a require of the module that then requires
 * dockerode). Idempotent; a package that cannot be resolved is skipped.
 */
export function stubUnusedDockerodeDeps(req: NodeJS.Require): void {
  for (const [pkg, from, feature] of UNUSED) {
    let file: string;
    try {
      const dockerode = req.resolve('dockerode');
      const parent = from === 'dockerode' ? dockerode : createRequire(dockerode).resolve('docker-modem');
      file = createRequire(parent).resolve(pkg);
    } catch {
      continue;
    }
    if (req.cache[file]) continue;
    const m = new Module(file);
    m.filename = file;
    m.exports = unavailable(pkg, feature);
    m.loaded = true;
    req.cache[file] = m;
  }
}
