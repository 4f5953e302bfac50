/**
 * Serial console fan-out. libvirt lets one client hold a guest's console, so the agent holds that
 * one stream and shares it: every session reads everything the guest prints; one session at a
 * time may write (the first that asks; a later one is read-only and told so, unless it forces,
 * which takes the role over and tells the previous writer). When the guest stops or migrates,
 * every session gets `ended` (and `moved_to` when known).
 */
import type { Duplex } from 'node:stream';
import type { ConsoleOutput, Logger } from '@drover/contract';

/** One reader of a console: how to send it output, and how to finish it. */
export interface ConsoleSink {
  send(out: ConsoleOutput): void;
  end(): void;
}

export interface SessionRequest {
  /** Ask for the writer role. */
  write: boolean;
  /** Take the writer role over from another session. */
  force: boolean;
  /** Who is asking (for notices), e.g. the caller's certificate name. */
  who: string;
}

export class ConsoleSession {
  ended = false;
  constructor(
    readonly id: number,
    readonly who: string,
    readonly sink: ConsoleSink,
  ) {}
}

export class ConsoleHub {
  private readonly sessions = new Set<ConsoleSession>();
  private writer: ConsoleSession | undefined;
  private nextId = 1;
  private finished = false;
  private movedTo: string | undefined;

  constructor(
    readonly guest: string,
    private readonly source: Duplex,
    private readonly log: Logger,
    /** Called once when the hub ends (source closed or last session left). */
    private readonly onEnd: () => void = () => undefined,
  ) {
    source.on('data', (chunk: Buffer) => this.broadcast({ data: chunk }));
    source.once('end', () => this.end('console ended: the guest stopped'));
    source.once('close', () => this.end('console ended: the guest stopped'));
    source.once('error', (e: Error) => this.end(`console ended: ${e.message}`));
  }

  get size(): number {
    return this.sessions.size;
  }

  get ended(): boolean {
    return this.finished;
  }

  /** Remembers where the guest went, for the `moved_to` of the final message. */
  setMovedTo(host: string): void {
    this.movedTo = host;
  }

  /** Adds a session; returns it after telling it whether it writes. */
  attach(sink: ConsoleSink, req: SessionRequest): ConsoleSession {
    const s = new ConsoleSession(this.nextId++, req.who, sink);
    this.sessions.add(s);
    let notice = '';
    if (req.write) {
      const prev = this.writer;
      if (!prev) {
        this.writer = s;
      } else if (req.force) {
        this.writer = s;
        prev.sink.send({ writer: false, notice: `writer role taken over by ${req.who}` });
        notice = `took the writer role over from ${prev.who}`;
        this.log.info({ node: this.guest, from: prev.who, to: req.who }, 'console writer taken over');
      } else {
        notice = `read-only: ${prev.who} is writing; ask with force to take over`;
      }
    }
    sink.send({ writer: this.writer === s, ...(notice ? { notice } : {}) });
    this.log.info(
      { node: this.guest, session: s.id, who: req.who, writer: this.writer === s, sessions: this.sessions.size },
      'console session attached',
    );
    return s;
  }

  /** Input from a session: written to the guest only when that session is the writer. */
  input(s: ConsoleSession, data: Uint8Array): boolean {
    if (this.finished || s.ended || data.length === 0) return false;
    if (this.writer !== s) return false;
    this.source.write(Buffer.from(data));
    return true;
  }

  /** A session left. The last one to leave closes the console. */
  detach(s: ConsoleSession): void {
    if (!this.sessions.delete(s)) return;
    s.ended = true;
    if (this.writer === s) this.writer = undefined;
    this.log.info({ node: this.guest, session: s.id, sessions: this.sessions.size }, 'console session left');
    if (this.sessions.size === 0) this.close();
  }

  /** Ends every session with `ended` (the guest stopped, or moved) and closes the console. */
  end(notice: string, movedTo?: string): void {
    if (this.finished) return;
    this.finished = true;
    const to = movedTo ?? this.movedTo;
    const msg: ConsoleOutput = { ended: true, notice: to ? `guest migrated to ${to}` : notice, ...(to ? { movedTo: to } : {}) };
    for (const s of this.sessions) {
      s.ended = true;
      s.sink.send(msg);
      s.sink.end();
    }
    this.sessions.clear();
    this.writer = undefined;
    this.log.info({ node: this.guest, movedTo: to }, notice);
    this.source.destroy();
    this.onEnd();
  }

  private broadcast(out: ConsoleOutput): void {
    for (const s of this.sessions) s.sink.send(out);
  }

  private close(): void {
    if (this.finished) return;
    this.finished = true;
    this.source.destroy();
    this.onEnd();
  }
}

/** The hubs of one host: one per guest with an open console. */
export class ConsoleHubs {
  private readonly hubs = new Map<string, ConsoleHub>();
  private readonly opening = new Map<string, Promise<ConsoleHub>>();

  constructor(
    private readonly open: (guest: string, force: boolean) => Promise<Duplex>,
    private readonly log: Logger,
  ) {}

  /** The hub of `guest`, opening the console when nobody holds it yet. */
  async hub(guest: string, force = false): Promise<ConsoleHub> {
    const h = this.hubs.get(guest);
    if (h && !h.ended) return h;
    let p = this.opening.get(guest);
    if (!p) {
      p = this.open(guest, force)
        .then((src) => {
          const hub = new ConsoleHub(guest, src, this.log, () => {
            if (this.hubs.get(guest) === hub) this.hubs.delete(guest);
          });
          this.hubs.set(guest, hub);
          return hub;
        })
        .finally(() => this.opening.delete(guest));
      this.opening.set(guest, p);
    }
    return p;
  }

  /** The guest stopped or left this host: end its console for every session. */
  guestGone(guest: string, why: string, movedTo?: string): void {
    this.hubs.get(guest)?.end(why, movedTo);
  }

  /** Where a guest is migrating to (set by the migration code before the guest leaves). */
  setMovedTo(guest: string, host: string): void {
    this.hubs.get(guest)?.setMovedTo(host);
  }

  closeAll(): void {
    for (const h of [...this.hubs.values()]) h.end('console ended: the agent is stopping');
  }
}
