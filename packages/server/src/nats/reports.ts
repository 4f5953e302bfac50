/**
 * The server's side of the agents' reports: subscribes to every host's heartbeats (and, in later
 * stages, inventories and events), decodes the protobuf messages and hands them on. The subject's
 * host token is authoritative: NATS permissions make sure an agent can publish only as itself.
 */
import type { NatsConnection, Subscription } from 'nats';
import { codec, subjects, hostOfSubject, EVENTS_STREAM, EVENTS_STREAM_SUBJECTS, type Logger, type Heartbeat__Output } from '@drover/contract';
import type { HostRegistry } from '../hosts/registry.js';

const hbCodec = codec<Heartbeat__Output>('Heartbeat');

export class ReportIngest {
  private subs: Subscription[] = [];
  constructor(private readonly nc: NatsConnection, private readonly hosts: HostRegistry, private readonly log: Logger) {}

  /** Creates the JetStream stream the server depends on (idempotent). */
  async ensureStreams(): Promise<void> {
    const jsm = await this.nc.jetstreamManager();
    const cfg = { name: EVENTS_STREAM, subjects: EVENTS_STREAM_SUBJECTS, duplicate_window: 120_000_000_000, max_age: 7 * 86400_000_000_000 };
    try {
      await jsm.streams.info(EVENTS_STREAM);
      await jsm.streams.update(EVENTS_STREAM, cfg);
    } catch {
      await jsm.streams.add(cfg);
    }
  }

  start(): void {
    const sub = this.nc.subscribe(subjects.allHeartbeats);
    this.subs.push(sub);
    void (async () => {
      for await (const m of sub) {
        const host = hostOfSubject(m.subject);
        try {
          const hb = hbCodec.decode(m.data);
          if (!host || hb.host !== host) {
            this.log.warn({ subject: m.subject, claimed: hb.host }, 'heartbeat names another host than its subject; dropped');
            continue;
          }
          this.hosts.heartbeat(hb);
        } catch (e) {
          this.log.warn({ subject: m.subject, err: (e as Error).message }, 'undecodable heartbeat dropped');
        }
      }
    })();
  }

  stop(): void {
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
  }
}
