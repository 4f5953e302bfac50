/**
 * The network-install verbs over the tables: makedhcp, makehosts, nodeset and rinstall, and the
 * installer's callback. Reads the tables, runs the generators, writes the files under the
 * configured root (atomically, checked by the daemon's own checker first), reloads services with
 * argv commands from the config and changes guests' boot order through their hosts' agents.
 *
 * Every verb answers per node: `done` or the reason, naming the column to fix. File edits are
 * serialised, so two verbs never interleave a read-modify-write of the same file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseBootOrder, underRoot, type Logger } from '@drover/contract';
import { auditWriter } from '../audit.js';
import type { Stores } from '../db/stores.js';
import type { Tables, NodeAttrs } from '../tables/index.js';
import { answerFilePath, renderAnswerFile, templatePath } from './answers.js';
import { checkCandidate } from './check.js';
import { dhcpdAddHosts, dhcpdCheckArgv, dhcpdRemoveHosts, dhcpdSetNetworks, renderDhcpdHost } from './dhcpd.js';
import { dnsmasqAddHosts, dnsmasqCheckArgv, dnsmasqRemoveHosts, dnsmasqSetNetworks } from './dnsmasq.js';
import { ManagedBlockError, NetbootConflictError, NetbootInputError, ReloadError } from './errors.js';
import { hostsAddNodes, hostsRemoveNodes, renderHostsLine } from './hosts.js';
import { consoleOf, nodeInput, readNetworks, readSite, unset, UnsetAttrError } from './inputs.js';
import { applyFiles, planManagedFile } from './managed-block.js';
import { installFiles, localBootFiles, osFamily, type InstallInput } from './pxe.js';
import { runReload } from './reload.js';
import { InstallTokens } from './tokens.js';
import type { FileOut, NetworkInput, SiteInput } from './types.js';
import { checkNetwork, checkSite, formatIPv4 } from './validate.js';

/** The `netboot` section of the server config that the service uses. */
export interface NetbootConfig {
  root: string;
  dhcp: 'isc' | 'dnsmasq' | 'both';
  dhcpdConf: string;
  dnsmasqConf: string;
  hostsFile: string;
  dhcpdBin: string;
  dnsmasqBin: string;
  dhcpReload: string[];
  hostsReload: string[];
  reloadTimeoutMs: number;
  tokenTtlS: number;
}

/** One node's (or network's) answer. */
export interface NodeOutcome {
  node: string;
  ok: boolean;
  message: string;
  code: string;
  data: Record<string, string>;
}

/** A guest's state after a boot-order change (the agent's GuestStatus, reduced). */
export interface GuestState {
  state: string;
}

/** How the service reaches a guest's hypervisor: the agent pool in the server, a stand-in in unit tests. */
export interface GuestControl {
  /** Sets the persistent boot order; with `restart`, a running guest is stopped and started so it takes effect. */
  setBootOrder(host: string, guest: string, order: string[], restart: boolean): Promise<GuestState>;
  powerOn(host: string, guest: string): Promise<GuestState>;
}

export type NodesetTarget = 'install' | 'boot';
export const NODESET_TARGETS: readonly NodesetTarget[] = ['install', 'boot'];

/** Boot order while a node should install from the network. */
export const INSTALL_BOOT_ORDER = ['network', 'disk'];
/** How many agent calls one nodeset runs at a time. */
const AGENT_CONCURRENCY = 16;

const ok = (node: string, message = 'done', data: Record<string, string> = {}): NodeOutcome => ({
  node,
  ok: true,
  message,
  code: '',
  data,
});

/** The reason for a failure as the CLI shows it after `node: ` (the subject is not repeated). */
export function failure(node: string, e: unknown, prefix = ''): NodeOutcome {
  const err = e as { message?: unknown; code?: unknown };
  let message = typeof err?.message === 'string' ? err.message : String(e);
  if (message.startsWith(`${node}: `)) message = message.slice(node.length + 2);
  const code = typeof err?.code === 'string' ? err.code : 'NETBOOT_FAILED';
  return { node, ok: false, message: `${prefix}${message}`, code, data: {} };
}

/** Whether an error is about the input (shown per node) rather than a fault of the server. */
function isInputError(e: unknown): boolean {
  return (
    e instanceof NetbootInputError || e instanceof UnsetAttrError || e instanceof NetbootConflictError || e instanceof ManagedBlockError
  );
}

interface Edit {
  path: string;
  /** Rewrites the file's text for the nodes still in the update. */
  transform: (text: string, file: string, nodes: readonly string[]) => string;
  /** The daemon's checker and its argv, when the file has one. */
  check?: { bin: string; argv: (file: string, bin: string) => string[] };
}

export class NetbootService {
  readonly tokens: InstallTokens;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;

  constructor(
    private readonly opts: { tables: Tables; stores: Stores; cfg: NetbootConfig; guests: GuestControl; log: Logger; now?: () => number },
  ) {
    this.now = opts.now ?? Date.now;
    this.tokens = new InstallTokens(opts.stores.installTokens, opts.cfg.tokenTtlS * 1000, this.now);
  }

  get root(): string {
    return this.opts.cfg.root;
  }

  /** Runs `fn` after every earlier file edit has finished. */
  private serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  // -------------------------------------------------------------------------------------------
  // makedhcp

  /**
   * `makedhcp -n` (networks), `makedhcp <nodes>` (host entries), `makedhcp -d <nodes>` (remove).
   * Networks come first in the answer, one line each; then the nodes in the order given.
   */
  makeDhcp(req: { nodes: readonly string[]; networks: boolean; remove: boolean }): Promise<NodeOutcome[]> {
    return this.serial(() => this.makeDhcpNow(req));
  }

  private async makeDhcpNow(req: { nodes: readonly string[]; networks: boolean; remove: boolean }): Promise<NodeOutcome[]> {
    const { cfg } = this.opts;
    const results = new Map<string, NodeOutcome>();
    const netResults: NodeOutcome[] = [];
    let site: SiteInput | undefined;
    let networks: NetworkInput[] = [];
    const needSite = req.networks || !req.remove;
    if (needSite) {
      try {
        site = await readSite(this.opts.tables);
        checkSite(site);
        networks = await readNetworks(this.opts.tables);
      } catch (e) {
        return this.everyoneFails(req, e);
      }
    }

    let writeNetworks = false;
    if (req.networks) {
      const checked = networks.map((n) => {
        try {
          const net = checkNetwork(n, site!);
          return ok(n.name, 'done', { kind: 'network', subnet: `${formatIPv4(net.net)}/${net.prefix}` });
        } catch (e) {
          return { ...failure(`network ${n.name}`, e), node: n.name, data: { kind: 'network' } };
        }
      });
      if (checked.some((r) => !r.ok)) {
        for (const r of checked)
          netResults.push(
            r.ok
              ? { ...r, ok: false, code: 'NETBOOT_NOT_WRITTEN', message: 'not written: another network in the networks table is not valid' }
              : r,
          );
      } else {
        netResults.push(...checked);
        writeNetworks = true;
      }
      if (networks.length === 0)
        netResults.push({
          ...ok(
            'networks',
            'no networks defined: wrote the global options only; add networks with chtab netname=NAME networks.net=... networks.mask=...',
          ),
          data: { kind: 'network' },
        });
    }

    // Nodes that can have a host entry; the others fail here with the column to fix.
    const attrs = req.remove ? new Map<string, NodeAttrs>() : await this.opts.tables.nodeAttrs(req.nodes);
    const good: string[] = [];
    for (const node of req.nodes) {
      if (req.remove) {
        good.push(node);
        continue;
      }
      const a = attrs.get(node) ?? {};
      try {
        if (!a['mac.mac']) {
          throw unset(
            node,
            'mac.mac',
            'a DHCP host entry needs the MAC of the install NIC',
            '52:54:00:12:34:56',
            ', or power the guest on once (rpower) so drover records the MAC libvirt gives it',
          );
        }
        if (!a['hosts.ip'])
          throw unset(node, 'hosts.ip', "a DHCP host entry needs a fixed address inside one of the networks table's networks", '10.0.0.11');
        renderDhcpdHost(nodeInput(node, a), networks, site!);
        good.push(node);
      } catch (e) {
        if (!isInputError(e)) throw e;
        results.set(node, failure(node, e));
      }
    }
    const inputs = new Map(good.map((n) => [n, nodeInput(n, attrs.get(n) ?? {})]));

    const edits: Edit[] = [];
    const daemons = cfg.dhcp === 'both' ? ['isc', 'dnsmasq'] : [cfg.dhcp];
    for (const d of daemons) {
      const isc = d === 'isc';
      edits.push({
        path: isc ? cfg.dhcpdConf : cfg.dnsmasqConf,
        transform: (text, file, nodes) => {
          let t = text;
          if (writeNetworks) t = isc ? dhcpdSetNetworks(t, networks, site!, file) : dnsmasqSetNetworks(t, networks, site!, file);
          if (req.remove) t = isc ? dhcpdRemoveHosts(t, nodes, file) : dnsmasqRemoveHosts(t, nodes, file);
          else if (nodes.length > 0) {
            const list = nodes.map((n) => inputs.get(n)!);
            t = isc ? dhcpdAddHosts(t, list, networks, site!, file) : dnsmasqAddHosts(t, list, networks, site!, file);
          }
          return t;
        },
        check: isc ? { bin: cfg.dhcpdBin, argv: dhcpdCheckArgv } : { bin: cfg.dnsmasqBin, argv: dnsmasqCheckArgv },
      });
    }
    const nothing = !writeNetworks && good.length === 0;
    const outcome = nothing ? { written: [], failed: undefined } : await this.applyEdits(edits, good, results);
    const final = (name: string): NodeOutcome => results.get(name) ?? ok(name);
    let all = [...netResults, ...req.nodes.map(final)];
    if (outcome.failed !== undefined) {
      all = all.map((r) => (r.ok ? failure(r.node, outcome.failed) : r));
    } else if (outcome.written.length > 0 && cfg.dhcpReload.length > 0) {
      all = await this.reload(cfg.dhcpReload, outcome.written, all);
    }
    return all;
  }

  private everyoneFails(req: { nodes: readonly string[]; networks: boolean }, e: unknown): NodeOutcome[] {
    if (!isInputError(e)) throw e;
    const msg = (e as Error).message;
    const f = (node: string): NodeOutcome => ({ node, ok: false, message: msg, code: (e as { code: string }).code, data: {} });
    return [...(req.networks ? [{ ...f('networks'), data: { kind: 'network' } }] : []), ...req.nodes.map(f)];
  }

  /**
   * Plans every edit for the nodes in `good`; a node whose entry clashes with another node's (same
   * MAC, IP or name) is dropped with the reason and the plan is made again. Then runs each
   * changed file's checker on the candidate and only when all pass replaces the live files.
   * Returns the written paths, or the reason nothing was written.
   */
  private async applyEdits(
    edits: readonly Edit[],
    good: string[],
    results: Map<string, NodeOutcome>,
  ): Promise<{ written: string[]; failed: unknown }> {
    const { root } = this.opts.cfg;
    let files: FileOut[] = [];
    for (;;) {
      try {
        files = edits.map((ed) => planManagedFile(root, ed.path, (text, file) => ed.transform(text, file, good)));
        break;
      } catch (e) {
        if (e instanceof NetbootConflictError) {
          const mine = e.nodes.filter((n) => good.includes(n));
          if (mine.length > 0) {
            // the node being added loses; an entry already in the file stays
            const loser = mine.length === 2 ? mine[1]! : mine[0]!;
            const other = e.nodes[0] === loser ? e.nodes[1] : e.nodes[0];
            results.set(loser, {
              node: loser,
              ok: false,
              code: e.code,
              data: {},
              message: `${e.field === 'mac' ? 'mac.mac' : e.field === 'ip' ? 'hosts.ip' : 'hosts.hostnames'} ${e.value} is also claimed by ${other}${e.file ? ` in ${e.file}` : ''}`,
            });
            good.splice(good.indexOf(loser), 1);
            continue;
          }
        }
        if (isInputError(e)) return { written: [], failed: e };
        throw e;
      }
    }
    for (const [i, f] of files.entries()) {
      const ed = edits[i]!;
      const target = underRoot(root, f.path);
      const before = existsSync(target) ? readFileSync(target) : undefined;
      if (!ed.check || (before && before.equals(f.content as Buffer))) continue;
      const res = await checkCandidate(ed.check.bin, target, f.content as Buffer, ed.check.argv);
      if (!res.ok) {
        return {
          written: [],
          failed: new Error(`${ed.check.bin} rejected the new ${f.path} (${res.problem}); the live file was left as it was`),
        };
      }
    }
    const applied = applyFiles(root, files);
    return { written: applied.filter((a) => a.changed).map((a) => a.path), failed: undefined };
  }

  /** Runs a reload argv after files changed; when it fails every node that was fine says so. */
  private async reload(argv: readonly string[], written: readonly string[], results: NodeOutcome[]): Promise<NodeOutcome[]> {
    try {
      await runReload(argv, { timeoutMs: this.opts.cfg.reloadTimeoutMs });
      return results;
    } catch (e) {
      if (!(e instanceof ReloadError)) throw e;
      this.opts.log.warn({ argv, err: e.message }, 'reload after netboot change failed');
      return results.map((r) => (r.ok ? failure(r.node, e, `${written.join(', ')} written, but `) : r));
    }
  }

  // -------------------------------------------------------------------------------------------
  // makehosts

  /** `makehosts <nodes>` / `makehosts -d <nodes>`: the drover block of the hosts file. */
  makeHosts(req: { nodes: readonly string[]; remove: boolean; longNameFirst: boolean }): Promise<NodeOutcome[]> {
    return this.serial(async () => {
      const { cfg } = this.opts;
      const results = new Map<string, NodeOutcome>();
      let site: SiteInput | undefined;
      let networks: NetworkInput[] = [];
      const good: string[] = [];
      const attrs = req.remove ? new Map<string, NodeAttrs>() : await this.opts.tables.nodeAttrs(req.nodes);
      if (!req.remove) {
        try {
          site = await readSite(this.opts.tables);
          networks = await readNetworks(this.opts.tables);
        } catch (e) {
          return this.everyoneFails({ nodes: req.nodes, networks: false }, e);
        }
      }
      for (const node of req.nodes) {
        if (req.remove) {
          good.push(node);
          continue;
        }
        const a = attrs.get(node) ?? {};
        try {
          if (!a['hosts.ip']) throw unset(node, 'hosts.ip', "an /etc/hosts line needs the node's address", '10.0.0.11');
          renderHostsLine(nodeInput(node, a), networks, site!, { longNameFirst: req.longNameFirst });
          good.push(node);
        } catch (e) {
          if (!isInputError(e)) throw e;
          results.set(node, failure(node, e));
        }
      }
      let all = req.nodes.map((n) => results.get(n) ?? ok(n));
      if (good.length === 0) return all;
      const edit: Edit = {
        path: cfg.hostsFile,
        transform: (text, file, nodes) =>
          req.remove
            ? hostsRemoveNodes(text, nodes, file)
            : hostsAddNodes(
                text,
                nodes.map((n) => nodeInput(n, attrs.get(n) ?? {})),
                networks,
                site!,
                { longNameFirst: req.longNameFirst },
                file,
              ),
      };
      const outcome = await this.applyEdits([edit], good, results);
      all = req.nodes.map((n) => results.get(n) ?? ok(n));
      if (outcome.failed !== undefined) return all.map((r) => (r.ok ? failure(r.node, outcome.failed) : r));
      if (outcome.written.length > 0 && cfg.hostsReload.length > 0) return this.reload(cfg.hostsReload, outcome.written, all);
      return all;
    });
  }

  // -------------------------------------------------------------------------------------------
  // nodeset, rinstall

  /**
   * `nodeset <nodes> install|boot`; with `restart` (rinstall) the guests are restarted, or powered
   * on when off, so the network boot happens now. Results are emitted as each node finishes.
   */
  async nodeSet(
    nodes: readonly string[],
    target: NodesetTarget,
    opts: { restart: boolean },
    emit: (r: NodeOutcome) => void,
  ): Promise<void> {
    const prepared = await this.serial(async () => {
      const out: Awaited<ReturnType<NetbootService['prepareNode']>>[] = [];
      for (const node of nodes) out.push(await this.prepareNode(node, target));
      return out;
    });
    const pending: Array<() => Promise<void>> = [];
    for (const p of prepared) {
      if ('failed' in p) emit(p.failed);
      else pending.push(async () => emit(await this.applyBootOrder(p.node, p.host, p.order, target, opts.restart, p.summary)));
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < pending.length) await pending[next++]!();
    };
    await Promise.all(Array.from({ length: Math.min(AGENT_CONCURRENCY, pending.length) }, worker));
  }

  /** Writes the node's boot files (and for install its token); returns what the agent call needs. */
  private async prepareNode(
    node: string,
    target: NodesetTarget,
  ): Promise<{ node: string; host: string; order: string[]; summary: string } | { failed: NodeOutcome }> {
    const { tables } = this.opts;
    try {
      const site = await readSite(tables);
      const a = (await tables.nodeAttrs([node])).get(node) ?? {};
      const host = a['vm.host'];
      if (target === 'install') {
        const t = this.installInput(node, a);
        if (!host) throw unset(node, 'vm.host', "nodeset changes the guest's boot order on its hypervisor host", 'hv01');
        const files = [...installFiles(site, t.input), this.answerFile(site, t)];
        applyFiles(this.root, files);
        await this.tokens.store(node, t.input.token);
        return { node, host, order: INSTALL_BOOT_ORDER, summary: `install ${t.input.os}-${t.input.arch}-${t.input.profile}` };
      }
      const order = this.localOrder(node, a);
      // the local-boot files go first: with them the node boots its disk even if the order stays
      await this.writeLocalBoot(site, node, a);
      if (!host)
        throw unset(
          node,
          'vm.host',
          "the local-boot files were written, but the boot order is changed on the guest's hypervisor host",
          'hv01',
        );
      return { node, host, order, summary: 'boot' };
    } catch (e) {
      if (!isInputError(e)) this.opts.log.error({ node, target, err: (e as Error).message }, 'nodeset failed');
      return { failed: failure(node, e) };
    }
  }

  private installInput(node: string, a: NodeAttrs): { input: InstallInput; family: ReturnType<typeof osFamily> } {
    const os = a['nodetype.os'];
    if (!os) throw unset(node, 'nodetype.os', 'nodeset install needs the OS to install', 'rhels9.4');
    const family = osFamily(os, node);
    const arch = a['nodetype.arch'];
    if (!arch) throw unset(node, 'nodetype.arch', 'nodeset install needs the architecture', 'x86_64');
    const profile = a['nodetype.profile'];
    if (!profile) throw unset(node, 'nodetype.profile', 'nodeset install needs the install profile', 'compute');
    const input: InstallInput = { node, os, arch, profile, token: InstallTokens.generate() };
    if (a['mac.mac']) input.mac = a['mac.mac'];
    if (a['noderes.netboot']) input.netboot = a['noderes.netboot'];
    const con = consoleOf(a);
    if (con) input.console = con;
    return { input, family };
  }

  /** The node's kickstart or preseed (0600: it carries the token), from the profile's template when there is one. */
  private answerFile(site: SiteInput, t: { input: InstallInput; family: ReturnType<typeof osFamily> }): FileOut {
    const { input, family } = t;
    const tmplPath = templatePath(site, family, input.profile);
    const onDisk = underRoot(this.root, tmplPath);
    const template = existsSync(onDisk) ? { text: readFileSync(onDisk, 'utf8'), file: tmplPath } : undefined;
    const content = renderAnswerFile(
      site,
      { node: input.node, family, os: input.os, arch: input.arch, profile: input.profile, token: input.token },
      template,
    );
    return { path: answerFilePath(site, input.node, family), content, mode: 0o600 };
  }

  /** Boot order after an install: the node's vm.bootorder, else the disk. */
  private localOrder(node: string, a: NodeAttrs): string[] {
    const v = a['vm.bootorder'];
    if (!v) return ['disk'];
    try {
      return parseBootOrder(v, 'vm.bootorder');
    } catch (e) {
      throw new NetbootInputError({
        subject: node,
        field: 'vm.bootorder',
        value: v,
        accepted: 'devices separated by "," (network, disk, cdrom)',
        cause: e,
      });
    }
  }

  /** Local-boot files, and no answer file or token any more. */
  private async writeLocalBoot(site: SiteInput, node: string, a: NodeAttrs): Promise<void> {
    const target: { node: string; mac?: string; netboot?: string } = { node };
    if (a['mac.mac']) target.mac = a['mac.mac'];
    if (a['noderes.netboot']) target.netboot = a['noderes.netboot'];
    const files: FileOut[] = [
      ...localBootFiles(site, target),
      { path: answerFilePath(site, node, 'rhel'), content: null },
      { path: answerFilePath(site, node, 'debian'), content: null },
    ];
    applyFiles(this.root, files);
    await this.tokens.revoke(node);
  }

  private async applyBootOrder(
    node: string,
    host: string,
    order: string[],
    target: NodesetTarget,
    restart: boolean,
    summary: string,
  ): Promise<NodeOutcome> {
    const { guests } = this.opts;
    const named = (e: unknown): { message: string; code: unknown } => {
      const msg = (e as Error).message ?? String(e);
      return { message: msg.includes(host) ? msg : `host ${host}: ${msg}`, code: (e as { code?: unknown }).code };
    };
    let st: GuestState;
    try {
      st = await guests.setBootOrder(host, node, order, restart);
    } catch (e) {
      const what = restart ? 'the boot order was not changed and the guest was not restarted' : 'the boot order was not changed';
      return { ...failure(node, named(e), `boot files written, but ${what}: `), data: { host } };
    }
    let how = '';
    if (restart) {
      if (st.state === 'POWER_STATE_OFF' || st.state === 'POWER_STATE_CRASHED') {
        try {
          await guests.powerOn(host, node);
        } catch (e) {
          return {
            ...failure(node, named(e), 'boot files written and boot order set, but the guest could not be powered on: '),
            data: { host },
          };
        }
        how = ' (powered on)';
      } else {
        how = ' (restarted)';
      }
    }
    return ok(node, `${summary}${how}`, { target, host, bootorder: order.join(',') });
  }

  // -------------------------------------------------------------------------------------------
  // The installer's callback

  /**
   * `GET /install/callback/<node>?token=...`: the install has finished. Consumes the token (once,
   * unexpired) and does `nodeset <node> boot`. Returns whether the token was accepted and what
   * happened; the HTTP server turns this into a status code.
   */
  async installDone(
    node: string,
    token: string,
    peer: string,
  ): Promise<{ accepted: boolean; filesWritten: boolean; outcome?: NodeOutcome }> {
    const c = await this.tokens.consume(node, token);
    if (!c.ok) {
      this.opts.log.warn({ node, peer, problem: c.problem }, 'install callback refused');
      return { accepted: false, filesWritten: false };
    }
    let p: Awaited<ReturnType<NetbootService['prepareNode']>>;
    try {
      p = await this.serial(() => this.prepareNode(node, 'boot'));
    } catch (e) {
      this.opts.log.error({ node, peer, err: (e as Error).message }, 'install callback: local-boot files not written');
      return { accepted: true, filesWritten: false, outcome: failure(node, e) };
    }
    if ('failed' in p) {
      await this.audit(node, peer, p.failed);
      // a node without vm.host still has its local-boot files; anything else stopped before them
      const written = p.failed.code === 'NETBOOT_UNSET' && p.failed.message.startsWith('vm.host');
      this.opts.log.error({ node, peer, err: p.failed.message }, 'install callback: nodeset boot failed');
      return { accepted: true, filesWritten: written, outcome: p.failed };
    }
    const outcome = await this.applyBootOrder(node, p.host, p.order, 'boot', false, 'installed; boots from disk');
    this.opts.log.info({ node, peer, ok: outcome.ok, message: outcome.message }, 'install callback');
    await this.audit(node, peer, outcome);
    return { accepted: true, filesWritten: true, outcome };
  }

  /** An accepted callback changes a node's boot, so it gets an audit row like an admin's call (refusals are only logged). */
  private async audit(node: string, peer: string, outcome: NodeOutcome): Promise<void> {
    try {
      await auditWriter(this.opts.stores.audit)({
        caller: undefined,
        service: 'BootHttp',
        method: 'InstallCallback',
        request: { noderange: node },
        ok: outcome.ok,
        ...(outcome.ok ? {} : { error: outcome.message }),
        peer,
      });
    } catch (e) {
      this.opts.log.error({ node, err: (e as Error).message }, 'audit record of install callback failed');
    }
  }

  /** Whether `token` is the node's live install token (answer files are served only then). */
  async tokenValid(node: string, token: string): Promise<boolean> {
    return (await this.tokens.check(node, token)).ok;
  }

  /** Where the HTTP server finds generated files: the site's tftp and install directories. */
  async layout(): Promise<{ tftpDir: string; installDir: string }> {
    const s = checkSite(await readSite(this.opts.tables));
    return { tftpDir: s.tftpDir, installDir: s.installDir };
  }
}
