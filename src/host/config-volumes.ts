// Writes the files of a configMap or secret volume the way the kubelet's AtomicWriter does, so a
// container sees either the old or the new content, never a mix:
//
//   VOLUME_DIR/..2024_05_01_10_00_00.123_ab12/   the files, with their modes (0644 by default)
//   VOLUME_DIR/..data -> ..2024_05_01_...        swapped by rename(2) on each update
//   VOLUME_DIR/KEY -> ..data/KEY                 one link per top-level name
//
// VOLUME_DIR is bind-mounted read-only into the containers; the links are relative, so they
// resolve inside the container too. (So `stat KEY` shows the link; `stat -L KEY` the file.)

import { chmod, lstat, mkdir, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ProjectedFile } from './config-sources.ts';

const DATA = '..data';

const exists = (p: string) => lstat(p).then(() => true, () => false);

/** A timestamped directory name like the kubelet's: `..2024_05_01_10_00_00.123_ab12`. */
function versionDir(now: number): string {
  const t = new Date(now).toISOString().replace(/[-:T]/g, '_').replace('Z', '');
  return `..${t}_${Math.random().toString(36).slice(2, 6)}`;
}

/** Whether the volume's files were written at least once (the pod's sandbox got this far). */
export function volumeWritten(dir: string): Promise<boolean> {
  return exists(join(dir, DATA));
}

/**
 * Replaces the volume's content with `files` in one atomic step, then removes earlier versions
 * and the links of names no longer present.
 */
export async function writeVolume(dir: string, files: ProjectedFile[], now: number): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await chmod(dir, 0o755);
  const version = versionDir(now);
  const base = join(dir, version);
  await mkdir(base, { mode: 0o755 });
  for (const f of files) {
    const target = join(base, f.path);
    await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    await writeFile(target, f.data, { mode: f.mode });
    await chmod(target, f.mode); // not narrowed by the umask
  }
  const tmp = join(dir, `${DATA}_tmp`);
  await rm(tmp, { force: true });
  await symlink(version, tmp);
  await rename(tmp, join(dir, DATA));

  const top = new Set(files.map((f) => f.path.split('/')[0]));
  for (const name of top) {
    const link = join(dir, name);
    if (!(await exists(link))) await symlink(join(DATA, name), link);
  }
  // earlier versions, and links of names no longer in the volume
  for (const name of await readdir(dir)) {
    if (name === DATA || name === version || top.has(name)) continue;
    await rm(join(dir, name), { recursive: true, force: true });
  }
}
