/**
 * rmigrate, revacuate, maintenance, ops and rhypervisor. A migration is an operation on the server:
 * the CLI starts it, then watches it — live progress bars per guest on a terminal (data remaining,
 * rate, iteration, expected downtime, ETA), plain lines otherwise. Ctrl-C asks whether to cancel;
 * leaving without cancelling lets the operation finish on its own.
 */
import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import {
  type RequestOf,
  UserFacingError,
  type Operation__Output,
  type OperationRef__Output,
  type OperationStep__Output,
} from '@drover/contract';
import { withApi } from '../run.js';
import type { Api } from '../client.js';
import { inlineNoderangeFiles } from './noderange-file.js';
import { checkLine, operationJson } from './checks.js';
import { callTables, checkOutput, printResults, runTableVerb, NODERANGE_HELP } from './tables-common.js';
import { formatAge, printJson, printTable } from '../output.js';

const mib = (b: number): string => `${(b / 1048576).toFixed(1)}`;

function positiveInt(v: string | undefined, flag: string): number {
  if (v === undefined) return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UserFacingError(`${flag} '${v}': expected a positive whole number`, 2);
  return n;
}

function stepLine(s: OperationStep__Output): string {
  const t = s.finishedMs && s.startedMs ? ` in ${((s.finishedMs - s.startedMs) / 1000).toFixed(1)}s` : '';
  const err = s.error ? `: ${s.error}` : '';
  return `${s.guest}: ${s.state} ${s.source} -> ${s.dest}${s.attempt > 1 ? ` (retry)` : ''}${['done', 'failed', 'cancelled'].includes(s.state) ? t : ''}${err}`;
}

/** A step's completion (percent of the memory copied) and its figures as one phrase. */
function progressOf(s: OperationStep__Output): { pct: number; info: string } {
  const p = s.progress;
  const total = p?.dataTotal || 0;
  const pct = s.state === 'done' ? 100 : total ? Math.min(99, Math.round(((total - p!.dataRemaining) / total) * 100)) : 0;
  const info =
    p && s.state === 'migrating'
      ? `${mib(p.dataRemaining)} MiB left, ${mib(p.memoryBps)} MiB/s, iter ${p.iteration}, downtime ${p.expectedDowntimeMs}ms, ETA ${p.etaMs ? formatAge(p.etaMs) : '-'}`
      : s.state + (s.error ? `: ${s.error}` : '');
  return { pct, info };
}

/** Prints a plan (dry run) or an operation's end state. */
export function printOperation(op: Operation__Output, output: string): void {
  if (output === 'json') return printJson(operationJson(op));
  process.stdout.write(`operation ${op.id} (${op.kind}) ${op.state}${op.summary ? `: ${op.summary}` : ''}\n`);
  // Every check on a dry run; afterwards only those that did not pass.
  for (const c of op.checks)
    if (op.state === 'planned' || c.verdict !== 'CHECK_VERDICT_OK') process.stdout.write(`  check ${checkLine(c)}\n`);
  if (op.steps.length) {
    printTable(
      ['GUEST', 'FROM', 'TO', 'STATE', 'TIME', 'ERROR'],
      op.steps.map((s) => [
        s.guest,
        s.source,
        s.dest,
        s.state + (s.attempt > 1 ? ' (retry)' : ''),
        s.finishedMs && s.startedMs ? `${((s.finishedMs - s.startedMs) / 1000).toFixed(1)}s` : '-',
        s.error || '-',
      ]),
    );
  }
  for (const u of op.unplaced) process.stdout.write(`  not placed: ${u}\n`);
}

async function askCancel(): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const a = await new Promise<string>((res) =>
    rl.question('\nCancel the operation (moves in flight are aborted, guests stay where they are)? [y/N] ', res),
  );
  rl.close();
  return /^y(es)?$/i.test(a.trim());
}

/** Watches an operation to its end; returns it. */
export async function watchOperation(api: Api, id: string, output: string): Promise<Operation__Output> {
  const tty = process.stderr.isTTY && output === 'text';
  const multi = tty
    ? new MultiBar(
        { format: '{guest} {route} {bar} {pct}% {info}', hideCursor: true, clearOnComplete: false, barsize: 24, stopOnComplete: false },
        Presets.shades_classic,
      )
    : undefined;
  const bars = new Map<string, SingleBar>();
  const printed = new Map<string, string>();
  const progressAt = new Map<string, number>();
  let last: Operation__Output | undefined;
  let interrupted = false;
  const stream = api.stream('WatchOperation', { id });
  const onSigint = (): void => {
    if (interrupted) return;
    interrupted = true;
    multi?.stop();
    const answer = async (): Promise<void> => {
      if (await askCancel()) {
        await api.call('CancelOperation', { id });
        process.stderr.write(`cancelling ${id}...\n`);
        interrupted = false;
      } else {
        process.stderr.write(`leaving ${id} running; watch it with: drover ops show ${id} --watch\n`);
        stream.cancel();
      }
    };
    // A refused cancel is said on stderr; the watch goes on and shows how the operation ends.
    answer().catch((e: Error) => {
      process.stderr.write(`Error: ${e.message}\n`);
      interrupted = false;
    });
  };
  process.on('SIGINT', onSigint);
  try {
    for await (const u of stream) {
      last = u.operation ?? last;
      const steps = u.step ? [u.step] : (u.operation?.steps ?? []);
      for (const s of steps) {
        if (multi) {
          let bar = bars.get(s.id);
          if (!bar)
            bars.set(
              s.id,
              (bar = multi.create(100, 0, {
                guest: s.guest.padEnd(10),
                route: `${s.source}->${s.dest}`.padEnd(16),
                pct: '0',
                info: s.state,
              })),
            );
          const { pct, info } = progressOf(s);
          bar.update(pct, { pct: String(pct), info });
        } else {
          const line = stepLine(s);
          const key = `${s.id}:${s.state}`;
          if (!printed.has(key)) {
            printed.set(key, line);
            if (output === 'text') process.stdout.write(`${line}\n`);
          } else if (output === 'text' && s.state === 'migrating' && Number(s.progress?.dataTotal ?? 0) > 0) {
            // Without a terminal, progress is a line per guest at most once a second (once QEMU
            // has counted anything: the first sample can come before it has).
            const now = Date.now();
            if (now - (progressAt.get(s.id) ?? 0) >= 1000) {
              progressAt.set(s.id, now);
              const { pct, info } = progressOf(s);
              process.stdout.write(`${s.guest}: migrating ${s.source} -> ${s.dest} ${pct}% ${info}\n`);
            }
          }
        }
      }
      if (u.final) break;
    }
  } finally {
    process.off('SIGINT', onSigint);
    multi?.stop();
  }
  const op = await api.call('GetOperation', { id });
  return op ?? last!;
}

async function runOperation<M extends 'Migrate' | 'Evacuate' | 'Maintenance'>(
  api: Api,
  method: M,
  req: RequestOf<'AdminService', M>,
  output: string,
  watch: boolean,
): Promise<number> {
  const ref: OperationRef__Output = await callTables(api, method, req);
  if (!ref.id) {
    if (output === 'json') printJson({ id: '' });
    return 0;
  }
  const planned = await api.call('GetOperation', { id: ref.id });
  if (planned.state === 'planned' || !watch) {
    printOperation(planned, output);
    // A dry run whose checks found a move that cannot succeed says so in its exit code too.
    if (planned.state === 'planned') return planned.checks.some((c) => c.verdict === 'CHECK_VERDICT_FAILED') ? 1 : 0;
    return planned.state === 'failed' ? 1 : 0;
  }
  if (output === 'text')
    process.stdout.write(
      `operation ${ref.id}: ${planned.steps.length} move(s)${planned.unplaced.length ? `, ${planned.unplaced.length} not placed` : ''}\n`,
    );
  const op = await watchOperation(api, ref.id, output);
  printOperation(op, output);
  return op.state === 'done' ? 0 : 1;
}

export function register(program: Command): void {
  program
    .command('rmigrate')
    .description('live-migrate guests to a host (or where the scheduler picks), with progress')
    .argument('<noderange>', 'guests')
    .argument('[desthost]', 'destination host (default: the scheduler picks, per guest)')
    .option('--timeout <seconds>', 'abort a move that takes longer (default 600)')
    .option('--max-downtime <ms>', 'largest pause allowed at the switch-over')
    .option('--bandwidth <MiB/s>', 'limit the migration stream')
    .option('--copy-storage <mode>', 'auto (copy disks the destination cannot reach), always, never', 'auto')
    .option('--dry-run', 'print the plan and the checks; move nothing')
    .option('--no-watch', 'start it and return (watch with drover ops show <id> --watch)')
    .option('-o, --output <format>', 'text or json', 'text')
    .addHelpText('after', `\n${NODERANGE_HELP}`)
    .action(
      async (
        noderange: string,
        dest: string | undefined,
        o: {
          timeout?: string;
          maxDowntime?: string;
          bandwidth?: string;
          copyStorage: string;
          dryRun?: boolean;
          watch: boolean;
          output: string;
        },
      ) =>
        runTableVerb(() =>
          withApi(async (api) => {
            checkOutput(o.output);
            if (!['auto', 'always', 'never'].includes(o.copyStorage))
              throw new UserFacingError(`--copy-storage '${o.copyStorage}': expected auto, always or never`, 2);
            return runOperation(
              api,
              'Migrate',
              {
                noderange: inlineNoderangeFiles(noderange),
                dest: dest ?? '',
                timeoutS: positiveInt(o.timeout, '--timeout'),
                maxDowntimeMs: positiveInt(o.maxDowntime, '--max-downtime'),
                bandwidthMibps: positiveInt(o.bandwidth, '--bandwidth'),
                copyStorage: o.copyStorage,
                dryRun: !!o.dryRun,
              },
              o.output,
              o.watch,
            );
          }),
        ),
    );

  program
    .command('revacuate')
    .description('move every guest off a host in one planned, parallel schedule (the host goes into maintenance)')
    .argument('<host>', 'the host to empty')
    .option('--max-out <n>', 'moves out of one host at once (default 2, or site.maxout)')
    .option('--max-in <n>', 'moves into one host at once (default 2, or site.maxin)')
    .option('--max-total <n>', 'moves in the cluster at once (default 8, or site.maxtotal)')
    .option('--timeout <seconds>', 'abort a move that takes longer (default 600)')
    .option('--bandwidth <MiB/s>', 'limit each migration stream')
    .option('--copy-storage <mode>', 'auto, always, never', 'auto')
    .option('--dry-run', 'print the plan; move nothing')
    .option('--no-watch', 'start it and return')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(
      async (
        host: string,
        o: {
          maxOut?: string;
          maxIn?: string;
          maxTotal?: string;
          timeout?: string;
          bandwidth?: string;
          copyStorage: string;
          dryRun?: boolean;
          watch: boolean;
          output: string;
        },
      ) =>
        runTableVerb(() =>
          withApi(async (api) => {
            checkOutput(o.output);
            return runOperation(
              api,
              'Evacuate',
              {
                host,
                maxOut: positiveInt(o.maxOut, '--max-out'),
                maxIn: positiveInt(o.maxIn, '--max-in'),
                maxTotal: positiveInt(o.maxTotal, '--max-total'),
                timeoutS: positiveInt(o.timeout, '--timeout'),
                bandwidthMibps: positiveInt(o.bandwidth, '--bandwidth'),
                dryRun: !!o.dryRun,
                copyStorage: o.copyStorage,
              },
              o.output,
              o.watch,
            );
          }),
        ),
    );

  program
    .command('maintenance')
    .description('maintenance mode: on evacuates the host; off [--return] brings its guests back home')
    .argument('<host>', 'hypervisor host')
    .argument('<state>', 'on or off')
    .option('--return', 'with off: migrate the guests this maintenance moved away back to the host')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (host: string, state: string, o: { return?: boolean; output: string }) =>
      runTableVerb(() =>
        withApi(async (api) => {
          checkOutput(o.output);
          if (state !== 'on' && state !== 'off') throw new UserFacingError(`maintenance: state '${state}': expected on or off`, 2);
          const code = await runOperation(api, 'Maintenance', { host, on: state === 'on', returnGuests: !!o.return }, o.output, true);
          if (o.output === 'text' && state === 'off') process.stdout.write(`${host}: maintenance off\n`);
          return code;
        }),
      ),
    );

  const ops = program.command('ops').description('operations: list, show [--watch], cancel');
  ops
    .command('list')
    .option('-a, --all', 'include old finished operations')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (o: { all?: boolean; output: string }) =>
      withApi(async (api) => {
        checkOutput(o.output);
        const r = await api.call('ListOperations', { all: !!o.all, limit: 100 });
        if (o.output === 'json') return printJson(r.operations.map(operationJson));
        printTable(
          ['ID', 'KIND', 'STATE', 'BY', 'STARTED', 'MOVES', 'SUMMARY'],
          r.operations.map((x) => [
            x.id,
            x.kind,
            x.state,
            x.requestedBy || '-',
            new Date(x.createdMs).toISOString().replace('T', ' ').slice(0, 19),
            x.steps.length,
            x.summary || '-',
          ]),
        );
      }),
    );
  ops
    .command('show <id>')
    .option('-w, --watch', 'follow it until it ends')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (id: string, o: { watch?: boolean; output: string }) =>
      withApi(async (api) => {
        checkOutput(o.output);
        const op = o.watch ? await watchOperation(api, id, o.output) : await api.call('GetOperation', { id });
        printOperation(op, o.output);
      }),
    );
  ops
    .command('cancel <id>')
    .description('abort moves in flight (guests stay on their sources), keep finished ones, stop the rest')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (id: string, o: { output: string }) =>
      withApi(async (api) => {
        checkOutput(o.output);
        await api.call('CancelOperation', { id });
        const op = await watchOperation(api, id, 'json');
        printOperation(op, o.output);
        process.exitCode = op.state === 'cancelled' ? 0 : 1;
      }),
    );

  program
    .command('rhypervisor')
    .description("restart a host's hypervisor daemon safely: suspend guests, restart, resume them")
    .argument('<host>', 'hypervisor host')
    .argument('<action>', 'restart')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (host: string, action: string, o: { output: string }) =>
      runTableVerb(() =>
        withApi(async (api) => {
          checkOutput(o.output);
          return printResults(await callTables(api, 'RestartHypervisor', { host, action }), o.output);
        }),
      ),
    );
}
