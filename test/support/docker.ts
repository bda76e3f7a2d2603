// Docker helpers for the e2e suite: the containers of one test node, and their removal.

import Docker from 'dockerode';

export const docker = new Docker({ socketPath: process.env.STARLING_DOCKER_SOCKET ?? '/var/run/docker.sock' });

export async function containersOf(node: string, all = true) {
  return await docker.listContainers({ all, filters: { label: [`io.starling.node=${node}`] } });
}

/** Removes every container a test node made (its name is unique to the test run). */
export async function removeContainersOf(node: string) {
  for (const c of await containersOf(node)) {
    await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => {});
  }
}

/** A node name unique to this test run, so parallel or leftover runs never mix. */
export const uniqueNodeName = (prefix: string) => `${prefix}-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
