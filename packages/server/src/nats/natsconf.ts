import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { natsServerConfig, writeFileAtomic, type Logger } from '@drover/contract';
import type { ServerConfig } from '../config.js';
import type { ClusterPki } from '../pki/store.js';

/**
 * Writes the nats-server configuration for the cluster (when `nats.configFile` is set) and asks
 * a running nats-server to reload it (SIGHUP to the PID in `nats.pidFile`). Returns whether the
 * file changed.
 */
export async function writeNatsConfig(cfg: ServerConfig, pki: ClusterPki, log?: Logger): Promise<boolean> {
  if (!cfg.nats.configFile) return false;
  const text = natsServerConfig({
    listen: cfg.nats.listen,
    storeDir: join(cfg.stateDir, 'nats', 'jetstream'),
    serverNkey: pki.serverNkeyPublic(),
    agents: await pki.natsUsers(),
    ...(cfg.nats.pidFile ? { pidFile: cfg.nats.pidFile } : {}),
  });
  const old = existsSync(cfg.nats.configFile) ? readFileSync(cfg.nats.configFile, 'utf8') : '';
  if (old === text) return false;
  writeFileAtomic(cfg.nats.configFile, text, { mode: 0o600 });
  if (cfg.nats.pidFile && existsSync(cfg.nats.pidFile)) {
    const pid = Number(readFileSync(cfg.nats.pidFile, 'utf8').trim());
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGHUP');
        log?.info({ pid, file: cfg.nats.configFile }, 'nats-server asked to reload its config');
      } catch (e) {
        log?.warn({ pid, err: (e as Error).message }, 'could not signal nats-server to reload');
      }
    }
  }
  return true;
}
