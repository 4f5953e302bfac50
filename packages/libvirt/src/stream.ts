/**
 * ConsoleStream: a Duplex over a non-blocking virStream. Reading is switched on only while the
 * consumer wants data (back-pressure reaches the event loop); one write is in flight at a time and
 * its callback runs once libvirt took all of it. The stream ends when the guest stops.
 */
import { Duplex } from 'node:stream';
import { toLibvirtError } from './errors';
import { binding, registerStream, unregisterStream, type StreamEvent } from './internal/registry';
import type { StreamHandle } from './native';

export class ConsoleStream extends Duplex {
  private pendingWrite: ((err?: Error | null) => void) | undefined;
  private nativeClosed = false;
  private reading = false;

  /** @internal */
  constructor(
    private readonly handle: StreamHandle,
    /** Process-unique id of this stream. */
    readonly streamId: number,
  ) {
    super({ allowHalfOpen: false });
    registerStream(streamId, (ev) => this.onNative(ev));
  }

  private setReading(on: boolean): void {
    if (this.nativeClosed || this.reading === on) return;
    this.reading = on;
    try {
      binding().streamSetRead(this.handle, on);
    } catch (err) {
      this.destroy(toLibvirtError(err, 'ConsoleStream.read') as Error);
    }
  }

  override _read(): void {
    this.setReading(true);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    try {
      const pending = binding().streamWrite(this.handle, Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      if (pending) this.pendingWrite = cb;
      else cb();
    } catch (err) {
      cb(toLibvirtError(err, 'ConsoleStream.write') as Error);
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.closeNative().then(() => {
      this.push(null);
      cb();
    }, cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const w = this.pendingWrite;
    this.pendingWrite = undefined;
    w?.(err ?? new Error('console stream destroyed'));
    this.closeNative().then(
      () => cb(err),
      (e: unknown) => cb(err ?? (e as Error)),
    );
  }

  private closeNative(): Promise<void> {
    if (this.nativeClosed) return Promise.resolve();
    this.nativeClosed = true;
    unregisterStream(this.streamId);
    return binding().streamClose(this.handle);
  }

  private onNative(ev: StreamEvent): void {
    switch (ev.type) {
      case 'data':
        if (!this.push(ev.data)) this.setReading(false);
        break;
      case 'written': {
        const w = this.pendingWrite;
        this.pendingWrite = undefined;
        w?.();
        break;
      }
      case 'end':
        this.push(null);
        break;
      case 'error':
        this.destroy(toLibvirtError(ev.error, 'ConsoleStream') as Error);
        break;
    }
  }
}
