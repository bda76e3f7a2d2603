// Helpers shared by the docker and sim runtimes: image-name normalisation, container names,
// labels, and Docker's stdout/stderr stream demultiplexer.

import { LABELS, SANDBOX_CONTAINER } from './types.ts';
import type { PodRef } from './types.ts';

/**
 * Normalises an image reference the way Docker does for comparison: a missing tag means
 * `:latest` (`busybox` = `busybox:latest`), and Docker Hub's implicit prefixes are dropped
 * (`docker.io/library/busybox:latest` = `busybox:latest`). Digests (`name@sha256:...`) are kept.
 */
export function normaliseImage(image: string): string {
  let ref = image.trim();
  for (const prefix of ['docker.io/', 'index.docker.io/', 'registry-1.docker.io/']) {
    if (ref.startsWith(prefix)) {
      ref = ref.slice(prefix.length);
      break;
    }
  }
  if (ref.startsWith('library/') && ref.indexOf('/', 'library/'.length) === -1) {
    ref = ref.slice('library/'.length);
  }
  if (ref.includes('@')) return ref;
  const lastSlash = ref.lastIndexOf('/');
  const last = ref.slice(lastSlash + 1);
  return last.includes(':') ? ref : `${ref}:latest`;
}

/** Docker container names allow [a-zA-Z0-9][a-zA-Z0-9_.-]*. */
const sanitise = (s: string) => s.replace(/[^a-zA-Z0-9_.-]/g, '-');

/** `starling_<namespace>_<pod>_<container>_<uid8>_<attempt>`, readable and unique per attempt. */
export function containerName(pod: PodRef, container: string, attempt: number): string {
  const uid8 = pod.uid.replace(/-/g, '').slice(0, 8);
  return ['starling', pod.namespace, pod.name, container, uid8, String(attempt)]
    .map(sanitise)
    .join('_');
}

/** The labels every Starling container carries. */
export function starlingLabels(
  node: string,
  pod: PodRef,
  container: string,
  attempt: number,
): Record<string, string> {
  return {
    [LABELS.podName]: pod.name,
    [LABELS.podNamespace]: pod.namespace,
    [LABELS.podUid]: pod.uid,
    [LABELS.node]: node,
    [LABELS.container]: container,
    [LABELS.attempt]: String(attempt),
  };
}

export function podFromLabels(labels: Record<string, string> | undefined): PodRef {
  const l = labels ?? {};
  return {
    uid: l[LABELS.podUid] ?? '',
    name: l[LABELS.podName] ?? '',
    namespace: l[LABELS.podNamespace] ?? '',
  };
}

export const isSandboxName = (name: string) => name === SANDBOX_CONTAINER;

/**
 * Incremental parser for Docker's multiplexed stream format (non-TTY containers and execs):
 * frames of an 8-byte header `[stream, 0, 0, 0, size(uint32 BE)]` followed by `size` bytes.
 * stream 0 = stdin, 1 = stdout, 2 = stderr.
 */
export class DockerDemuxer {
  private buf: Uint8Array = new Uint8Array(0);

  /** Feeds bytes; returns the complete frames found so far. */
  push(chunk: Uint8Array): { stream: number; data: Uint8Array }[] {
    if (this.buf.length === 0) {
      this.buf = chunk;
    } else {
      const joined = new Uint8Array(this.buf.length + chunk.length);
      joined.set(this.buf, 0);
      joined.set(chunk, this.buf.length);
      this.buf = joined;
    }
    const frames: { stream: number; data: Uint8Array }[] = [];
    let off = 0;
    while (this.buf.length - off >= 8) {
      const b = this.buf;
      const size = ((b[off + 4]! << 24) >>> 0) + (b[off + 5]! << 16) + (b[off + 6]! << 8) +
        b[off + 7]!;
      if (b.length - off - 8 < size) break;
      frames.push({ stream: b[off]!, data: b.slice(off + 8, off + 8 + size) });
      off += 8 + size;
    }
    this.buf = off === 0 ? this.buf : this.buf.slice(off);
    return frames;
  }

  /** Bytes left over that do not form a complete frame. */
  get pending(): number {
    return this.buf.length;
  }
}

export function concatBytes(chunks: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
