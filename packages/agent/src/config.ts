import { dirname, isAbsolute, resolve } from 'node:path';
import { z, hostPort, dnsLabel, loadConfig } from '@drover/contract';

/** drover-agent's config file (YAML), as written by `drover-server enroll --out` or `drover-agent enroll`.
 * Relative file paths are relative to the config file. Overrides: DROVER_AGENT_<FIELD>. */
export const AgentConfigSchema = z.object({
  host: dnsLabel,
  tls: z.object({ ca: z.string().min(1), cert: z.string().min(1), key: z.string().min(1) }),
  nats: z.object({ url: z.string().min(1), seedFile: z.string().min(1) }),
  grpc: z
    .object({
      listen: hostPort.default('0.0.0.0:7444'),
      /** where the server reaches this agent (published in heartbeats); default: the listen address */
      advertise: z.union([hostPort, z.literal('')]).default(''),
    })
    .prefault({}),
  server: z.object({ address: z.string().default('') }).prefault({}),
  libvirt: z
    .object({
      /** qemu:///system on a real host; test:///abs/path/host.xml for libvirt's test driver. */
      uri: z.string().default('qemu:///system'),
      /** Keepalive probes: every `keepaliveIntervalS`, the connection is dropped after `keepaliveCount` unanswered. */
      keepaliveIntervalS: z.number().int().min(0).default(5),
      keepaliveCount: z.number().int().min(1).default(3),
      /** Reconnect backoff after libvirtd goes away: doubles from min to max. */
      reconnectMinMs: z.number().int().min(10).default(500),
      reconnectMaxMs: z.number().int().min(10).default(30_000),
    })
    .prefault({}),
  storage: z
    .object({
      /** Directories (pool roots) disks may live under; a disk path elsewhere is refused. */
      roots: z.array(z.string().min(1)).default(['/vms', '/var/lib/libvirt/images']),
      /** Where NFS exports are mounted for netfs pools. */
      nfsMountBase: z.string().default('/var/lib/drover/nfs'),
      /**
       * How disk files are made: 'libvirt' (storage pools and volumes), 'files' (the agent writes the
       * files itself: sparse raw by truncation, qcow2 with qemu-img), 'auto' (files on libvirt's test
       * driver, whose pools live in memory only; libvirt otherwise).
       */
      backend: z.enum(['auto', 'libvirt', 'files']).default('auto'),
      qemuImg: z.string().default('qemu-img'),
      /**
       * How nfs:// disks are reached: 'kernel' (an NFS mount under a netfs pool), 'qemu' (QEMU's own
       * NFS client behind a network disk), 'auto' (the kernel's when it mounts NFS; see disks/clients.ts).
       */
      nfsClient: z.enum(['auto', 'kernel', 'qemu']).default('auto'),
      /** How iscsi:// disks are reached: 'kernel' (iscsiadm login, /dev/disk/by-path), 'qemu' (libvirt's iscsi-direct pool), 'auto'. */
      iscsiClient: z.enum(['auto', 'kernel', 'qemu']).default('auto'),
      /** This host's iSCSI initiator name for iscsi-direct pools; '' derives iqn.2024-01.dev.drover:<host>. */
      initiatorIqn: z.string().default(''),
    })
    .prefault({}),
  reports: z
    .object({
      /** Full re-list of guests; a diff is published when anything drifted from what events said. */
      reconcileMs: z.number().int().min(100).default(30_000),
      /** Lifecycle events kept while NATS is away; beyond this a gap marker and a full inventory follow. */
      eventBuffer: z.number().int().min(1).default(10_000),
    })
    .prefault({}),
  hypervisor: z
    .object({
      /** argv that restarts this host's libvirtd (never a shell string). */
      restartCommand: z.array(z.string().min(1)).default(['systemctl', 'restart', 'libvirtd']),
      /** Domain type this host's guests get, reported to the server: '' = what libvirt offers
       * (kvm when /dev/kvm works, else qemu/TCG); 'qemu' forces TCG (e.g. nested test hosts). */
      domainType: z.enum(['', 'kvm', 'qemu', 'xen']).default(''),
      /** How long to wait for libvirt to answer again after the restart command. */
      reconnectTimeoutMs: z.number().int().min(100).default(60_000),
    })
    .prefault({}),
  /** What `drover-agent setup-hypervisor` makes this host into. */
  setup: z
    .object({
      /** Local guest directory, or a vm.storage URL (dir:///vms, nfs://server/export). */
      storage: z.string().default('/vms'),
      iscsi: z.array(z.object({ portal: z.string().min(1), iqn: z.string().min(1) })).default([]),
      relocation: z
        .object({
          hypervisor: z.enum(['kvm', 'xen-libxl', 'xen-xend']).default('kvm'),
          ip: z.string().default(''),
          peers: z.array(z.object({ name: z.string().min(1), addresses: z.array(z.string()).default([]) })).default([]),
          tls: z.boolean().default(true),
          tlsFiles: z.object({ keyFile: z.string().optional(), certFile: z.string().optional(), caFile: z.string().optional() }).optional(),
          xendSsl: z.object({ keyFile: z.string(), certFile: z.string() }).optional(),
          vncListen: z.string().optional(),
        })
        .optional(),
      bootloader: z
        .object({
          style: z.enum(['grub2', 'legacy']).default('grub2'),
          dom0Mem: z.string(),
          grubDefault: z.string().optional(),
          path: z.string().optional(),
        })
        .optional(),
      systemd: z
        .object({
          unitPath: z.string().default('/etc/systemd/system/drover-agent.service'),
          execStart: z.string().default('/usr/bin/drover-agent --config /etc/drover/agent.yaml run'),
        })
        .prefault({}),
    })
    .prefault({}),
  console: z
    .object({
      /** keep each guest's serial output in <logDir>/<guest>.log as well (empty: no log) */
      logDir: z.string().default(''),
    })
    .prefault({}),
  migration: z
    .object({
      /** this host's libvirt URI as peers reach it for p2p migration; default qemu+tls://<advertise ip>/system */
      uri: z.string().default(''),
      /** migration data URI (tcp://<ip>); default: libvirt's migration_host */
      dataUri: z.string().default(''),
      /** where running migrations are journaled (survives an agent restart); default <config dir>/migrations.json */
      journal: z.string().default(''),
      /** seconds between progress reports */
      progressEveryMs: z.number().int().min(100).default(1000),
    })
    .prefault({}),
  heartbeatMs: z.number().int().min(100).default(5000),
  log: z.object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') }).prefault({}),
});
export type AgentConfig = z.output<typeof AgentConfigSchema>;

export function loadAgentConfig(file: string, overrides: Record<string, unknown> = {}): AgentConfig {
  const cfg = loadConfig(AgentConfigSchema, { file, required: true, envPrefix: 'DROVER_AGENT', overrides });
  const base = dirname(resolve(file));
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  cfg.tls = { ca: abs(cfg.tls.ca), cert: abs(cfg.tls.cert), key: abs(cfg.tls.key) };
  cfg.nats.seedFile = abs(cfg.nats.seedFile);
  cfg.migration.journal = abs(cfg.migration.journal || 'migrations.json');
  return cfg;
}
