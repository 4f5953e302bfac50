/**
 * The agent's record of the migrations it started, in a small JSON file written atomically:
 * it survives an agent restart, so a restarted agent can follow a job libvirtd carried on
 * without it and still publish the outcome.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic, type FailureReason__Output, type JobState, type MigrationProgress } from '@drover/contract';

export interface MigrationRecord {
  opId: string;
  stepId: string;
  attempt: number;
  guest: string;
  dest: string;
  destUri: string;
  jobId: string;
  state: JobState;
  startedMs: number;
  finishedMs?: number;
  error?: string;
  /** why the job did not complete: set where that happened (abort by request, timeout, stall, ...) */
  reason?: FailureReason__Output;
  libvirtCode?: number;
  runningOn?: string;
  downtimeMs?: number;
  /** the outcome reached the JetStream stream */
  published: boolean;
  abortRequested?: boolean;
  progress?: MigrationProgress;
}

export const keyOf = (opId: string, stepId: string): string => `${opId}/${stepId}`;

export class MigrationJournal {
  private readonly records = new Map<string, MigrationRecord>();
  constructor(private readonly file: string) {
    if (existsSync(file)) {
      try {
        for (const r of JSON.parse(readFileSync(file, 'utf8')) as MigrationRecord[]) this.records.set(keyOf(r.opId, r.stepId), r);
      } catch {
        // A damaged journal only loses the agent's memory of old jobs; libvirt still knows what runs.
      }
    }
  }
  get(opId: string, stepId: string): MigrationRecord | undefined {
    return this.records.get(keyOf(opId, stepId));
  }
  byGuest(guest: string): MigrationRecord[] {
    return [...this.records.values()].filter((r) => r.guest === guest);
  }
  all(): MigrationRecord[] {
    return [...this.records.values()];
  }
  put(r: MigrationRecord): void {
    this.records.set(keyOf(r.opId, r.stepId), r);
    this.save();
  }
  save(): void {
    // Keep finished, published records for a day (for QueryMigration after the fact), then drop them.
    const cutoff = Date.now() - 86_400_000;
    for (const [k, r] of this.records) if (r.published && (r.finishedMs ?? Date.now()) < cutoff) this.records.delete(k);
    const slim = [...this.records.values()].map(({ progress: _p, ...r }) => r);
    writeFileAtomic(this.file, JSON.stringify(slim, null, 1), { mode: 0o600 });
  }
}
