/**
 * Routes what the native event loop delivers to the Connection or console stream it belongs to.
 * One dispatcher per process, installed the first time the binding is used. Connections are held
 * weakly (an unclosed, unreachable connection is still collected and its handle freed); console
 * streams strongly while open.
 */
import { native, type NativeBinding, type NativeEvent } from '../native';

export type StreamEvent = Extract<NativeEvent, { kind: 'stream' }>;
export type ConnEvent = Exclude<NativeEvent, { kind: 'stream' }>;

export interface ConnSink {
  deliver(ev: ConnEvent): void;
}

/** Whether a connection currently keeps the process alive; outlives the connection object. */
export interface LoopHold {
  held: boolean;
}

const conns = new Map<number, WeakRef<ConnSink>>();
const streams = new Map<number, (ev: StreamEvent) => void>();
const collected = new FinalizationRegistry<{ id: number; hold: LoopHold }>(({ id, hold }) => {
  conns.delete(id);
  setHold(hold, false);
});
let installed = false;

function dispatch(ev: NativeEvent): void {
  try {
    if (ev.kind === 'stream') streams.get(ev.id)?.(ev);
    else conns.get(ev.conn)?.deref()?.deliver(ev);
  } catch (err) {
    // A throwing listener must not unwind through native code; surface it like any listener error.
    process.nextTick(() => {
      throw err;
    });
  }
}

/** The binding, with the event dispatcher installed. */
export function binding(): NativeBinding {
  const n = native();
  if (!installed) {
    installed = true;
    n.setDispatcher(dispatch);
  }
  return n;
}

export function setHold(hold: LoopHold, on: boolean): void {
  if (hold.held === on) return;
  hold.held = on;
  if (on) binding().holdLoop();
  else binding().releaseLoop();
}

export function registerConnection(id: number, sink: ConnSink, hold: LoopHold): void {
  conns.set(id, new WeakRef(sink));
  collected.register(sink, { id, hold }, sink);
}
export function unregisterConnection(id: number, sink: ConnSink): void {
  conns.delete(id);
  collected.unregister(sink);
}
export function registerStream(id: number, sink: (ev: StreamEvent) => void): void {
  streams.set(id, sink);
}
export function unregisterStream(id: number): void {
  streams.delete(id);
}
