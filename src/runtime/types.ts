// The container runtime port. Two implementations: `docker` (real containers through dockerode)
// and `sim` (simulated containers for many-node tests and benchmarks). Both pass the shared
// compliance suite in test/runtime/compliance.ts.
//
// Words: a *sandbox* is a pod's infra container (Kubernetes' pause container): it holds the
// pod's network namespace and publishes the pod's ports; every app container of the pod joins
// that namespace, so containers of one pod talk over `localhost`. A pod of one container and no
// init containers has no sandbox: its container holds its own network namespace and publishes
// the pod's ports itself (`ContainerSpec.network`; docs/decisions.md, "Pods without a sandbox").

/** Labels every Starling container carries (Docker labels / sim metadata). */
export const LABELS = {
  podName: 'io.starling.pod.name',
  podNamespace: 'io.starling.pod.namespace',
  podUid: 'io.starling.pod.uid',
  node: 'io.starling.node',
  /** container name inside the pod; `POD` for the sandbox (infra) container */
  container: 'io.starling.container',
  /** how many times this container has been started before (0 for the first) */
  attempt: 'io.starling.attempt',
} as const;

export const SANDBOX_CONTAINER = 'POD';

export interface PodRef {
  uid: string;
  name: string;
  namespace: string;
}

export interface PortMapping {
  containerPort: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  /** the requested host port; 0 or absent lets the runtime pick a free one */
  hostPort?: number;
  /** without hostPort: the port to take when it is free (a restarted container keeps its port) */
  preferHostPort?: number;
}
export interface PublishedPort {
  containerPort: number;
  protocol: string;
  hostIP: string;
  hostPort: number;
}

/** A pod's network namespace: where its ports are published, and its hostname. */
export interface PodNetwork {
  /** the address container ports are published on (the node's listen host) */
  hostIP: string;
  /** every container port of the pod (all containers share the sandbox's network) */
  ports: PortMapping[];
  hostname?: string;
}

export interface SandboxSpec extends PodNetwork {
  pod: PodRef;
}

export interface Mount {
  /** absolute path on the node (emptyDir directories live under the node's data dir) */
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

export interface ContainerSpec {
  pod: PodRef;
  /** container name inside the pod */
  name: string;
  image: string;
  /** Kubernetes `command` (replaces the image entrypoint) */
  command?: string[];
  /** Kubernetes `args` (replaces the image cmd) */
  args?: string[];
  env: { name: string; value: string }[];
  workingDir?: string;
  mounts: Mount[];
  /** CPU limit in millicores (0 or absent: none) */
  cpuMillis?: number;
  /** memory limit in bytes (0 or absent: none) */
  memoryBytes?: number;
  /** restart attempt number, recorded as a label */
  attempt: number;
  /** sim runtime only: how the simulated process behaves (ignored by docker) */
  sim?: SimBehaviour;
  /** a container started without a sandbox: the network namespace it holds itself */
  network?: PodNetwork;
}

/** What a simulated container does; derived by the sim runtime from command/args when absent. */
export interface SimBehaviour {
  /** ms after start when it exits; absent: runs until stopped */
  exitAfterMs?: number;
  exitCode?: number;
  /** fraction of a core it uses while running */
  cpu?: number;
}

export type RuntimeContainerState = 'created' | 'running' | 'exited';

export interface ContainerInfo {
  id: string;
  pod: PodRef;
  /** container name in the pod, or SANDBOX_CONTAINER for the infra container */
  name: string;
  node: string;
  image: string;
  attempt: number;
  state: RuntimeContainerState;
  exitCode?: number;
  /** OOMKilled when the kernel killed it for memory */
  oomKilled?: boolean;
  startedAt?: string;
  finishedAt?: string;
  /** published ports (a sandbox, or a container that holds its own network) */
  ports?: PublishedPort[];
}

export interface RuntimeEvent {
  type: 'start' | 'die';
  id: string;
  pod: PodRef;
  name: string;
  exitCode?: number;
  oomKilled?: boolean;
  at: string;
}

export interface ExecResult {
  exitCode: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

export interface ContainerStats {
  /** CPU time used since the container started, ns */
  cpuNanos: number;
  /** memory in use (without page cache), bytes */
  memoryBytes: number;
  /** when the sample was taken, ms since the epoch */
  at: number;
}

export interface LogOptions {
  follow?: boolean;
  /** last N lines only */
  tail?: number;
}

/** Image problems are errors with these codes (see src/errors.ts). */
export interface ContainerRuntime {
  readonly kind: 'docker' | 'sim';
  /** The node name every container is labelled with. */
  readonly nodeName: string;

  /** Connects (docker: pings the daemon). Throws RuntimeUnavailable when it cannot. */
  start(): Promise<void>;
  /** Stops watching events; leaves containers running (a restarted node adopts them). */
  stop(): Promise<void>;

  /**
   * Makes sure `image` is present per `pullPolicy` (Kubernetes' imagePullPolicy).
   * Throws an ImagePullError (code ErrImagePull) when it is missing and cannot be pulled.
   * Must never hang: a pull attempt is bounded in time.
   */
  ensureImage(image: string, pullPolicy: 'Always' | 'IfNotPresent' | 'Never'): Promise<void>;

  /** Creates and starts the pod's infra container; returns its info with the published ports. */
  createSandbox(spec: SandboxSpec): Promise<ContainerInfo>;

  /**
   * Creates and starts an app (or init) container in the sandbox's network namespace; without a
   * sandbox (undefined), in a network namespace of its own, made per `spec.network`.
   */
  startContainer(sandboxId: string | undefined, spec: ContainerSpec): Promise<ContainerInfo>;

  /** Stops a container (SIGTERM, then SIGKILL after graceSeconds). No error if already stopped or gone. */
  stopContainer(id: string, graceSeconds: number): Promise<void>;

  /** Removes a container (forcefully). No error if it is already gone. */
  removeContainer(id: string): Promise<void>;

  /** Every Starling container of this node (label io.starling.node = nodeName), including exited ones. */
  listContainers(): Promise<ContainerInfo[]>;

  /** One container, or undefined when it does not exist. */
  inspect(id: string): Promise<ContainerInfo | undefined>;

  /**
   * Subscribes to container start/die events of this node's Starling containers
   * (docker: the daemon's event stream, not polling). Returns an unsubscribe function.
   */
  onEvent(listener: (e: RuntimeEvent) => void): () => void;

  /** Container output (stdout and stderr interleaved), as chunks; ends unless `follow`. */
  logs(id: string, opts: LogOptions): AsyncIterable<Uint8Array>;

  /** Runs a command in a running container and collects its output and exit code. */
  exec(id: string, command: string[]): Promise<ExecResult>;

  /** Resource use of a running container (undefined when it is not running). CPU is cumulative:
   * the rate is the difference of two samples over their time apart. */
  stats(id: string): Promise<ContainerStats | undefined>;
}
