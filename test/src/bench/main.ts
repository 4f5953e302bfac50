/**
 * `npm run bench -- <name> [args]`: runs one benchmark. Each benchmark module exports
 * `run(args: string[]): Promise<void>`, prints its figures and ends with one JSON line.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const BENCHES: Record<string, string> = {
  libvirt: './libvirt.js',
  scheduler: './scheduler.js',
  lab: './lab.js',
  agent: './agent.js',
  rpower: './rpower.js',
  migrate: './migrate.js',
  evacuate: './evacuate.js',
  fleet: './fleet.js',
};

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const mod = name ? BENCHES[name] : undefined;
  if (!name || !mod || !existsSync(join(__dirname, mod))) {
    const have = Object.entries(BENCHES)
      .filter(([, m]) => existsSync(join(__dirname, m)))
      .map(([n]) => n);
    console.error(`bench: ${name ? `unknown benchmark '${name}'` : 'no benchmark named'}; available: ${have.join(', ') || '(none built)'}`);
    process.exit(2);
  }
  const m = require(mod) as { run(args: string[]): Promise<void> };
  await m.run(args);
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
