/**
 * One-time install tokens. `nodeset <node> install` issues one and embeds it in the answer file's
 * URL and the installer's callback; the callback consumes it (once, before it expires) and sends the
 * node back to its disk. Only the SHA-256 of a token is stored; a node has at most one token, and a
 * new one replaces the old.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/database.js';

/** Why a token was refused (never shown to the caller in detail; logged on the server). */
export type TokenProblem = 'none-issued' | 'mismatch' | 'used' | 'expired' | 'malformed';

export type TokenCheck = { ok: true } | { ok: false; problem: TokenProblem };

const TOKEN_RE = /^[A-Za-z0-9_-]{16,256}$/;

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

interface Row {
  token_sha256: string;
  expires_ms: number;
  used_ms: number | null;
}

export class InstallTokens {
  constructor(
    private readonly db: Db,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A fresh random token: 32 URL-safe characters (192 bits). */
  static generate(): string {
    return randomBytes(24).toString('base64url');
  }

  /** Records `token` as the node's install token, replacing any earlier one; returns when it expires. */
  store(node: string, token: string): number {
    const now = this.now();
    const expiresMs = now + this.ttlMs;
    this.db
      .prepare(
        `INSERT INTO install_tokens(node, token_sha256, created_ms, expires_ms, used_ms) VALUES (?, ?, ?, ?, NULL)
      ON CONFLICT(node) DO UPDATE SET token_sha256 = excluded.token_sha256, created_ms = excluded.created_ms, expires_ms = excluded.expires_ms, used_ms = NULL`,
      )
      .run(node, digest(token).toString('hex'), now, expiresMs);
    return expiresMs;
  }

  /** Whether `token` is the node's current, unused, unexpired token (nothing is changed). */
  check(node: string, token: string): TokenCheck {
    if (!TOKEN_RE.test(token)) return { ok: false, problem: 'malformed' };
    const row = this.db.prepare('SELECT token_sha256, expires_ms, used_ms FROM install_tokens WHERE node = ?').get(node) as Row | undefined;
    if (!row) return { ok: false, problem: 'none-issued' };
    const stored = Buffer.from(row.token_sha256, 'hex');
    const given = digest(token);
    if (stored.length !== given.length || !timingSafeEqual(stored, given)) return { ok: false, problem: 'mismatch' };
    if (row.used_ms !== null) return { ok: false, problem: 'used' };
    if (this.now() >= row.expires_ms) return { ok: false, problem: 'expired' };
    return { ok: true };
  }

  /**
   * Checks and marks the token used in one statement, so two racing callbacks cannot both
   * succeed.
   */
  consume(node: string, token: string): TokenCheck {
    const c = this.check(node, token);
    if (!c.ok) return c;
    const r = this.db
      .prepare('UPDATE install_tokens SET used_ms = ? WHERE node = ? AND token_sha256 = ? AND used_ms IS NULL AND expires_ms > ?')
      .run(this.now(), node, digest(token).toString('hex'), this.now());
    return r.changes === 1 ? { ok: true } : { ok: false, problem: 'used' };
  }

  /** Forgets the node's token (nodeset boot: no install is expected any more). */
  revoke(node: string): void {
    this.db.prepare('DELETE FROM install_tokens WHERE node = ?').run(node);
  }
}
