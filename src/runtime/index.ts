// Runtime factory and re-exports. `createRuntime('docker', ...)` drives the local Docker Engine;
// `createRuntime('sim', ...)` simulates containers in memory (see sim.ts for its behaviour).

import { DockerRuntime } from './docker.ts';
import type { DockerRuntimeOptions } from './docker.ts';
import { SimRuntime } from './sim.ts';
import type { SimRuntimeOptions } from './sim.ts';
import type { ContainerRuntime } from './types.ts';
import { StarlingError } from '../errors.ts';

export { DockerRuntime, SANDBOX_SCRIPT } from './docker.ts';
export type { DockerRuntimeOptions } from './docker.ts';
export { deriveProgram, SimRuntime } from './sim.ts';
export type { SimCpuUsage, SimProgram, SimRuntimeOptions } from './sim.ts';
export { containerName, normaliseImage } from './common.ts';
export * from './types.ts';

export type RuntimeKind = 'docker' | 'sim';
/** Options of either runtime; each takes the fields it knows. */
export type RuntimeOptions = DockerRuntimeOptions & Omit<SimRuntimeOptions, 'nodeName'>;

export function createRuntime(kind: 'docker', opts: DockerRuntimeOptions): DockerRuntime;
export function createRuntime(kind: 'sim', opts: SimRuntimeOptions): SimRuntime;
export function createRuntime(kind: RuntimeKind, opts: RuntimeOptions): ContainerRuntime;
export function createRuntime(kind: RuntimeKind, opts: RuntimeOptions): ContainerRuntime {
  switch (kind) {
    case 'docker':
      return new DockerRuntime({
        nodeName: opts.nodeName,
        socketPath: opts.socketPath,
        sandboxImage: opts.sandboxImage,
        pullTimeoutMs: opts.pullTimeoutMs,
      });
    case 'sim':
      return new SimRuntime({
        nodeName: opts.nodeName,
        clock: opts.clock,
        startDelayMs: opts.startDelayMs,
        images: opts.images,
        stateFile: opts.stateFile,
      });
    default:
      throw new StarlingError(
        'ConfigError',
        `unknown runtime kind "${String(kind)}" (expected docker or sim)`,
      );
  }
}
