import { toIndex, type ClusterIndex } from './cluster';
import { failure } from './filters/filter';
import { Ledger } from './ledger';
import { resolvePolicy, type PolicyInput } from './policy';
import { Stack } from './stack';
import type { CheckResult, ClusterSnapshot } from './types';

const STACK = new Stack();

/**
 * Every pre-check for moving `guestName` to `destHost`, in a fixed order, each passed or failed
 * with a message. A failed message names the check, the guest, the host and the fix. The `storage`
 * result, when it passes, carries the mode the migration will use. `anti-affinity` is soft: it
 * never blocks, its failure is a warning. An unknown guest yields one failed `guest-known`; an
 * unknown host stops after `host-known`.
 */
export function checkMove(
  snapshot: ClusterSnapshot | ClusterIndex,
  guestName: string,
  destHost: string,
  policy?: PolicyInput,
): CheckResult[] {
  const cluster = toIndex(snapshot);
  const pol = resolvePolicy(policy);
  const guest = cluster.guest(guestName);
  if (!guest) {
    return [
      {
        check: 'guest-known',
        pass: false,
        soft: false,
        message: failure(
          'guest-known',
          `no guest named ${guestName} in the cluster (moving it to ${destHost} is impossible)`,
          `check the name with lsdef`,
        ),
      },
    ];
  }
  const session = STACK.session({ cluster, policy: pol, ledger: new Ledger(cluster, pol) });
  const source = cluster.host(guest.info.host);
  const dest = cluster.host(destHost);
  if (!dest) {
    const out: CheckResult[] = [{ check: 'guest-known', pass: true, soft: false, message: `${guestName} is in the cluster` }];
    for (const c of STACK.guestChecks) {
      const message = c.evaluate(session.ctx, guest, source, destHost);
      out.push({ check: c.check, pass: message === undefined, soft: false, message: message ?? c.note(guest) });
    }
    out.push({
      check: 'host-known',
      pass: false,
      soft: false,
      message: failure(
        'host-known',
        `no host named ${destHost} in the cluster to take guest ${guestName}`,
        `check the host name, or start drover-agent on ${destHost}`,
      ),
    });
    return out;
  }
  return [
    { check: 'guest-known', pass: true, soft: false, message: `${guestName} is in the cluster` },
    ...session.checkAll(guest, source, dest),
  ];
}

/** True when no hard check failed. */
export function movable(results: readonly CheckResult[]): boolean {
  return results.every((r) => r.pass || r.soft);
}
