/**
 * rcons: the guest's serial console in this terminal (raw mode), through the server and the
 * guest's agent. Several admins may watch; one writes (the first to ask; --force takes over).
 * Conserver's escape detaches: Ctrl-E c . — and the session follows the guest when it migrates.
 */
import type { Command } from 'commander';
import type * as grpc from '@grpc/grpc-js';
import { UserFacingError, type ConsoleOutput__Output } from '@drover/contract';
import { withApi } from '../run.js';
import type { Api } from '../client.js';

const ESC = [0x05, 0x63, 0x2e]; // Ctrl-E, 'c', '.'

/** Finds the escape sequence across chunks; returns the bytes to forward and whether to detach. */
export class EscapeScanner {
  private matched = 0;
  feed(chunk: Buffer): { forward: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const b of chunk) {
      if (b === ESC[this.matched]) {
        this.matched++;
        if (this.matched === ESC.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      if (this.matched) out.push(...ESC.slice(0, this.matched));
      this.matched = b === ESC[0] ? 1 : 0;
      if (!this.matched) out.push(b);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}

interface Session {
  ended: Promise<{ movedTo: string; detached: boolean }>;
}

function attach(
  api: Api,
  node: string,
  o: { force?: boolean; readOnly?: boolean },
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
): Session {
  const call = api.duplex('Console');
  const scanner = new EscapeScanner();
  let movedTo = '';
  let detached = false;
  const onInput = (d: Buffer): void => {
    const { forward, detach } = scanner.feed(d);
    if (forward.length && !o.readOnly) call.write({ data: forward });
    if (detach) {
      detached = true;
      call.end();
    }
  };
  const ended = new Promise<{ movedTo: string; detached: boolean }>((res, rej) => {
    call.on('data', (m: ConsoleOutput__Output) => {
      if (m.data?.length) output.write(m.data);
      if (m.notice) process.stderr.write(`\r\n[drover: ${m.notice}]\r\n`);
      if (m.movedTo) movedTo = m.movedTo;
      if (m.ended) call.end();
    });
    call.on('end', () => res({ movedTo, detached }));
    call.on('error', (e: grpc.ServiceError) => (detached ? res({ movedTo, detached }) : rej(api.explain(e))));
  });
  input.on('data', onInput);
  const stop = (): void => void input.off('data', onInput);
  ended.then(stop, stop); // (a rejection is the caller's to handle, not an unhandled one here)
  call.write({ guest: node, write: !o.readOnly, force: !!o.force });
  return { ended };
}

export function register(program: Command): void {
  program
    .command('rcons')
    .description("attach this terminal to a guest's serial console (detach: Ctrl-E c .)")
    .argument('<node>', 'one guest')
    .option('-f, --force', 'take over writing from another session')
    .option('-r, --read-only', 'watch only')
    .action(async (node: string, o: { force?: boolean; readOnly?: boolean }) =>
      withApi(async (api) => {
        if (/[,@^*[\]()/]/.test(node)) throw new UserFacingError(`rcons: '${node}': give one node, not a noderange`, 2);
        const stdin = process.stdin;
        const raw = stdin.isTTY;
        if (raw) stdin.setRawMode(true);
        stdin.resume();
        if (raw) process.stderr.write(`[drover: attached to ${node}; detach with Ctrl-E c .]\r\n`);
        try {
          for (let hops = 0; hops < 5; hops++) {
            const r = await attach(api, node, o, stdin, process.stdout).ended;
            if (r.detached || !r.movedTo) break;
            process.stderr.write(`\r\n[drover: ${node} moved to ${r.movedTo}; reattaching]\r\n`);
          }
        } finally {
          if (raw) stdin.setRawMode(false);
          stdin.pause();
        }
      }),
    );
}
