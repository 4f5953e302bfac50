/** Output helpers: aligned tables (cli-table3), JSON, colours only on a TTY, age formatting. */
import Table from 'cli-table3';

export type OutputFormat = 'text' | 'json';

export function printJson(v: unknown): void {
  process.stdout.write(JSON.stringify(v, null, 2) + '\n');
}

export function printTable(head: string[], rows: (string | number)[][]): void {
  const t = new Table({
    head,
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
    style: { head: process.stdout.isTTY ? ['bold'] : [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const r of rows) t.push(r.map(String));
  process.stdout.write(
    t
      .toString()
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n') + '\n',
  );
}

export function formatAge(ms: number): string {
  if (!ms) return '-';
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${Math.floor((ms % 60_000) / 1000)}s`;
  return `${Math.floor(ms / 3_600_000)}h${Math.floor((ms % 3_600_000) / 60_000)}m`;
}

const COLOURS: Record<string, string> = {
  up: '32',
  on: '32',
  stale: '33',
  paused: '33',
  down: '31',
  off: '90',
  crashed: '31',
  unknown: '35',
};
export function colour(word: string): string {
  const c = COLOURS[word];
  return process.stdout.isTTY && c ? `\x1b[${c}m${word}\x1b[0m` : word;
}
