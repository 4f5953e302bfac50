/**
 * One-time install tokens. `nodeset <node> install` issues one and embeds it in the answer file's
 * URL and the installer's callback; the callback consumes it (once, before it expires) and sends the
 * node back to its disk. Only the SHA-256 of a token is stored; a node has at most one token, and a
 * new one replaces the old.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { InstallTokenStore } from '../db/stores.js';

/** Why a token was refused (never shown to the caller in detail; logged on the server). */
export type TokenProblem = 'none-issued' | 'mismatch' | 'used' | 'expired' | 'malformed';

export type TokenCheck = { ok: true } | { ok: false; problem: TokenProblem };

const TOKEN_RE = /^[A-Za-z0-9_-]{16,256}$/;

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export class InstallTokens {
  constructor(
    private readonly tokens: InstallTokenStore,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A fresh random token: 32 URL-safe characters (192 bits). */
  static generate(): string {
    return randomBytes(24).toString('base64url');
  }

  /** Records `token` as the node's install token, replacing any earlier one; returns when it expires. */
  async store(node: string, token: string): Promise<number> {
    const now = this.now();
    const expiresMs = now + this.ttlMs;
    await this.tokens.put(node, { tokenSha256: digest(token).toString('hex'), createdMs: now, expiresMs });
    return expiresMs;
  }

  /** Whether `token` is the node's current, unused, unexpired token (nothing is changed). */
  async check(node: string, token: string): Promise<TokenCheck> {
    if (!TOKEN_RE.test(token)) return { ok: false, problem: 'malformed' };
    const row = await this.tokens.get(node);
    if (!row) return { ok: false, problem: 'none-issued' };
    const stored = Buffer.from(row.tokenSha256, 'hex');
    const given = digest(token);
    if (stored.length !== given.length || !timingSafeEqual(stored, given)) return { ok: false, problem: 'mismatch' };
    if (row.usedMs !== null) return { ok: false, problem: 'used' };
    if (this.now() >= row.expiresMs) return { ok: false, problem: 'expired' };
    return { ok: true };
  }

  /**
   * Checks and marks the token used in one statement, so two racing callbacks cannot both
   * succeed.
   */
  async consume(node: string, token: string): Promise<TokenCheck> {
    const c = await this.check(node, token);
    if (!c.ok) return c;
    const used = await this.tokens.markUsed(node, digest(token).toString('hex'), this.now());
    return used ? { ok: true } : { ok: false, problem: 'used' };
  }

  /** Forgets the node's token (nodeset boot: no install is expected any more). */
  revoke(node: string): Promise<void> {
    return this.tokens.remove(node);
  }
}
