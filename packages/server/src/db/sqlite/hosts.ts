/** Host states on SQLite (`hoststate`). */
import type { HostRecord, HostStore } from '../stores.js';
import type { Sql } from './sql.js';

export class SqliteHostStore implements HostStore {
  constructor(private readonly sql: Sql) {}

  all(): Promise<HostRecord[]> {
    return this.sql.run(() =>
      (this.sql.stmt('SELECT * FROM hoststate').all() as Record<string, unknown>[]).map((r) => ({
        host: String(r.host),
        address: String(r.address),
        state: String(r.state),
        lastSeenMs: Number(r.last_seen_ms),
        bootId: String(r.boot_id),
        libvirtReachable: Boolean(r.libvirt_reachable),
        libvirtError: String(r.libvirt_error),
        facts: r.facts ? (r.facts as Uint8Array) : null,
        maintenance: Boolean(r.maintenance),
        simulated: Boolean(r.simulated),
      })),
    );
  }

  saveHeartbeats(rows: readonly HostRecord[]): Promise<void> {
    return this.sql.run(() => {
      const upsert = this.sql
        .stmt(`INSERT INTO hoststate(host, address, state, last_seen_ms, boot_id, libvirt_reachable, libvirt_error, facts, simulated)
      VALUES (@host, @address, @state, @lastSeenMs, @bootId, @libvirtReachable, @libvirtError, @facts, @simulated)
      ON CONFLICT(host) DO UPDATE SET address = excluded.address, state = excluded.state, last_seen_ms = excluded.last_seen_ms,
        boot_id = excluded.boot_id, libvirt_reachable = excluded.libvirt_reachable, libvirt_error = excluded.libvirt_error,
        facts = excluded.facts, simulated = excluded.simulated`);
      this.sql.db.transaction(() => {
        for (const v of rows) {
          upsert.run({
            host: v.host,
            address: v.address,
            state: v.state,
            lastSeenMs: v.lastSeenMs,
            bootId: v.bootId,
            libvirtReachable: v.libvirtReachable ? 1 : 0,
            libvirtError: v.libvirtError,
            facts: v.facts ? Buffer.from(v.facts) : null,
            simulated: v.simulated ? 1 : 0,
          });
        }
      })();
    });
  }

  setStates(changes: readonly { host: string; state: string }[]): Promise<void> {
    return this.sql.run(() => {
      const set = this.sql.stmt('UPDATE hoststate SET state = ? WHERE host = ?');
      this.sql.db.transaction(() => {
        for (const c of changes) set.run(c.state, c.host);
      })();
    });
  }

  enrolled(host: string, atMs: number): Promise<void> {
    return this.sql.run(() => {
      this.sql
        .stmt(
          "INSERT INTO hoststate(host, state, enrolled_ms) VALUES (?, 'down', ?) ON CONFLICT(host) DO UPDATE SET enrolled_ms = excluded.enrolled_ms",
        )
        .run(host, atMs);
    });
  }

  remove(host: string): Promise<void> {
    return this.sql.run(() => {
      this.sql.stmt('DELETE FROM hoststate WHERE host = ?').run(host);
    });
  }

  setMaintenance(host: string, on: boolean): Promise<void> {
    return this.sql.run(() => {
      this.sql.stmt('UPDATE hoststate SET maintenance = ? WHERE host = ?').run(on ? 1 : 0, host);
    });
  }
}
