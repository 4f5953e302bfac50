/**
 * A drover cluster on lab hosts: nats-server and drover-server in the root namespace listening on
 * the lab bridge, one drover-agent inside each lab host's network and mount namespaces (so
 * `qemu:///system` is that host's own libvirtd), exactly as on real hypervisors.
 */
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { spawnInHost, type Lab } from '../lab/index.js';
import { TestCluster, type ClusterOptions } from './cluster.js';

export const AGENT_PORT = 7444;

export async function startLabCluster(lab: Lab, opts: ClusterOptions = {}): Promise<TestCluster> {
  const byName = new Map(lab.hosts.map((h) => [h.name, h]));
  return TestCluster.start({
    heartbeatMs: 1000,
    staleAfterMs: 6000,
    downAfterMs: 20_000,
    ...opts,
    hostNames: opts.hostNames ?? lab.hosts.map((h) => h.name),
    bindIp: lab.bridgeIp,
    libvirtUri: () => 'qemu:///system',
    agentListen: (host) => `${byName.get(host)!.ip}:${AGENT_PORT}`,
    agentEnv: (host) => ({
      DROVER_AGENT_STORAGE_ROOTS: `${lab.sharedDir},${lab.localDir}`,
      DROVER_AGENT_CONSOLE_LOG_DIR: join(lab.sharedDir, 'serial'),
      // The lab's libvirtd listens on TCP without authentication (production hosts use TLS).
      DROVER_AGENT_MIGRATION_URI: byName.get(host)!.uri,
      // Guests run under TCG, as lab.md measured (this machine's /dev/kvm is not relied on).
      DROVER_AGENT_HYPERVISOR_DOMAIN_TYPE: 'qemu',
      ...(opts.agentEnv?.(host) ?? {}),
    }),
    spawnAgent: (host, argv, env, logFile) => {
      const fd = openSync(logFile, 'a');
      try {
        return spawnInHost(byName.get(host)!, argv, { env, stdio: ['ignore', fd, fd] });
      } finally {
        closeSync(fd);
      }
    },
  });
}
