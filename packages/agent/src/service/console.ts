/** The Console bidi RPC: the first message names host and guest; then bytes both ways through the guest's hub. */
import * as grpc from '@grpc/grpc-js';
import { callerOf, DroverError, type ConsoleInput__Output, type ConsoleOutput } from '@drover/contract';
import type { ConsoleHubs, ConsoleSession, ConsoleHub } from '../console/hub.js';
import { checkGuestName, checkHost, toDroverError, type ServiceDeps } from './context.js';

export function consoleHandlers(deps: ServiceDeps, hubs: ConsoleHubs) {
  return {
    Console: (call: grpc.ServerDuplexStream<ConsoleInput__Output, ConsoleOutput>) =>
      new Promise<void>((resolve, reject) => {
        let hub: ConsoleHub | undefined;
        let session: ConsoleSession | undefined;
        let first = true;
        let done = false;
        const pending: Uint8Array[] = [];
        const finish = (err?: unknown): void => {
          if (done) return;
          done = true;
          if (hub && session) hub.detach(session);
          if (err) reject(err);
          else resolve();
        };
        call.on('data', (msg: ConsoleInput__Output) => {
          if (done) return;
          if (!first) {
            if (hub && session) hub.input(session, msg.data);
            else pending.push(msg.data);
            return;
          }
          first = false;
          const log = deps.log.child({ host: deps.cfg.host, node: msg.guest, op: 'Console' });
          try {
            checkHost(deps, msg.host);
            checkGuestName(msg.guest);
          } catch (e) {
            finish(e);
            return;
          }
          if (msg.data.length) pending.push(msg.data);
          hubs.hub(msg.guest, msg.force).then(
            (h) => {
              if (done) return;
              hub = h;
              // Only the server's certificate is accepted here: its relay names the admin the session is for.
              const who = msg.who || (callerOf(call)?.name ?? call.getPeer());
              session = h.attach(
                {
                  send: (out) => {
                    if (!call.writableEnded && !call.destroyed) call.write(out);
                  },
                  end: () => finish(),
                },
                { write: msg.write, force: msg.force, who },
              );
              for (const d of pending.splice(0)) h.input(session, d);
            },
            (e: unknown) => {
              const de = toDroverError(e, { host: deps.cfg.host, node: msg.guest });
              log.info({ err: (de as Error).message }, 'console not opened');
              finish(de instanceof DroverError ? de : e);
            },
          );
        });
        call.on('end', () => finish());
        call.on('cancelled', () => finish());
        call.on('error', () => finish());
      }),
  };
}
