/**
 * wvid on real lab hosts: the address, port and one-time password `drover wvid` prints are checked
 * with a real RFB 3.8 handshake from the root namespace to the guest's QEMU VNC server, using VNC
 * authentication (security type 2). Right password: accepted, and ServerInit names the guest. Wrong
 * password, a password replaced by a newer wvid, and an expired password: refused by QEMU.
 *
 * VNC authentication is single DES, which OpenSSL 3 keeps in its legacy provider only (Node's
 * 'des-ecb' fails with "unsupported"). Triple DES with three equal keys is single DES
 * (E_k(D_k(E_k(x))) = E_k(x)), and 'des-ede3-ecb' is in the default provider, so that is used.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { resetHosts, type Lab } from '../lab/index.js';
import type { TestCluster } from '../support/cluster.js';
import { addCounterGuests } from '../support/labguests.js';
import { droverOnSharedLab } from '../support/labguests.js';

let lab: Lab;
let c: TestCluster;
const GUEST = 'vnc1';

before(async () => {
  ({ lab, c } = await droverOnSharedLab());
  await addCounterGuests(c, lab, [GUEST], 'node02');
});
after(async () => {
  await c?.stop();
  if (lab) await resetHosts(lab);
});

/** The VNC DES key: the password's first 8 bytes (zero padded), each byte's bits reversed. */
export function vncKey(password: string): Buffer {
  const k = Buffer.alloc(8);
  Buffer.from(password, 'latin1').copy(k, 0, 0, 8);
  for (let i = 0; i < 8; i++) {
    let b = k[i]!;
    let r = 0;
    for (let j = 0; j < 8; j++) {
      r = (r << 1) | (b & 1);
      b >>= 1;
    }
    k[i] = r;
  }
  return k;
}

export function vncResponse(password: string, challenge: Buffer): Buffer {
  const k = vncKey(password);
  const des = createCipheriv('des-ede3-ecb', Buffer.concat([k, k, k]), null);
  des.setAutoPadding(false);
  return Buffer.concat([des.update(challenge), des.final()]);
}

/** Reads exactly the bytes asked for from a socket, in order. */
class Reader {
  private buf = Buffer.alloc(0);
  private wait: (() => void) | undefined;
  private closed: Error | undefined;
  constructor(sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wait?.();
    });
    const close = (e?: Error): void => {
      this.closed = e ?? new Error('connection closed');
      this.wait?.();
    };
    sock.on('end', () => close());
    sock.on('close', () => close());
    sock.on('error', (e) => close(e));
  }
  async read(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      if (this.closed) throw new Error(`RFB: ${this.closed.message} after ${this.buf.length} of ${n} bytes`);
      await new Promise<void>((r) => (this.wait = r));
      this.wait = undefined;
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}

type RfbResult = { ok: true; name: string; width: number; height: number } | { ok: false; reason: string };

/** An RFB 3.8 client up to ServerInit, authenticating with VNC authentication (type 2). */
async function rfbHandshake(address: string, port: number, password: string): Promise<RfbResult> {
  const sock = connect({ host: address, port });
  const timer = setTimeout(() => sock.destroy(new Error('RFB handshake timed out')), 10_000);
  try {
    await new Promise<void>((res, rej) => {
      sock.once('connect', res);
      sock.once('error', rej);
    });
    const r = new Reader(sock);
    const version = (await r.read(12)).toString('latin1');
    assert.match(version, /^RFB 003\.00\d\n$/, 'server protocol version');
    sock.write('RFB 003.008\n');
    const ntypes = (await r.read(1))[0]!;
    if (ntypes === 0) {
      const len = (await r.read(4)).readUInt32BE(0);
      return { ok: false, reason: `no security types: ${(await r.read(len)).toString('latin1')}` };
    }
    const types = [...(await r.read(ntypes))];
    assert.ok(types.includes(2), `VNC authentication offered (types ${types.join(',')})`);
    sock.write(Buffer.from([2]));
    const challenge = await r.read(16);
    sock.write(vncResponse(password, challenge));
    const result = (await r.read(4)).readUInt32BE(0);
    if (result !== 0) {
      const len = (await r.read(4)).readUInt32BE(0);
      return { ok: false, reason: (await r.read(len)).toString('latin1') };
    }
    sock.write(Buffer.from([1])); // ClientInit: shared
    const init = await r.read(24);
    const nameLen = init.readUInt32BE(20);
    const name = (await r.read(nameLen)).toString('latin1');
    return { ok: true, name, width: init.readUInt16BE(0), height: init.readUInt16BE(2) };
  } finally {
    clearTimeout(timer);
    sock.destroy();
  }
}

interface Vnc {
  address: string;
  port: number;
  password: string;
  expires: number;
}

async function wvid(extra: string[] = []): Promise<Vnc> {
  const r = await c.cli(['wvid', GUEST, ...extra]);
  assert.equal(r.code, 0, `wvid: ${r.stdout}${r.stderr}`);
  const m = /^vnc1: vnc:\/\/([\d.]+):(\d+) password (\S+) \(valid until (\S+)\)$/m.exec(r.stdout);
  assert.ok(m, `wvid output: ${r.stdout}`);
  return { address: m[1]!, port: Number(m[2]), password: m[3]!, expires: Date.parse(m[4]!) };
}

test('vncKey/vncResponse - DES as VNC authentication uses it (known answer)', () => {
  // DES known answer (FIPS 81 style): key 133457799BBCDFF1, 0123456789ABCDEF -> 85E813540F0AB405
  const k = Buffer.from('133457799BBCDFF1', 'hex');
  const des = createCipheriv('des-ede3-ecb', Buffer.concat([k, k, k]), null);
  des.setAutoPadding(false);
  assert.equal(des.update(Buffer.from('0123456789ABCDEF', 'hex')).toString('hex'), '85e813540f0ab405');
  // bit reversal of the key bytes: 'A' (0x41) -> 0x82
  assert.equal(vncKey('A')[0], 0x82);
});

test('wvid - address, port and password let an RFB client in; a wrong password is refused', { timeout: 60_000 }, async () => {
  const v = await wvid();
  const node02 = lab.hosts.find((h) => h.name === 'node02')!;
  assert.equal(v.address, node02.ip, "the host's address (the display listens on every address)");
  assert.ok(v.port >= 5900 && v.port < 6000, `port ${v.port}`);
  assert.match(v.password, /^[A-Za-z0-9]{8}$/);
  const left = v.expires - Date.now();
  assert.ok(left > 280_000 && left <= 301_000, `valid for about 300 s (${left} ms left)`);
  const good = await rfbHandshake(v.address, v.port, v.password);
  assert.deepEqual(good.ok, true, JSON.stringify(good));
  assert.ok(good.ok && good.name.includes(GUEST), `ServerInit names the guest: ${JSON.stringify(good)}`);
  const wrongPw = v.password.slice(0, 7) + (v.password[7] === 'x' ? 'y' : 'x');
  const bad = await rfbHandshake(v.address, v.port, wrongPw);
  assert.equal(bad.ok, false, 'a wrong password is refused');
  // the right one still works after a failed attempt
  assert.equal((await rfbHandshake(v.address, v.port, v.password)).ok, true);
});

test('wvid - a newer wvid replaces the password; an expired password is refused', { timeout: 60_000 }, async () => {
  const first = await wvid();
  const short = await wvid(['--ttl', '3']);
  assert.notEqual(short.password, first.password);
  assert.ok(short.expires - Date.now() <= 3_500, `--ttl 3: valid until ${new Date(short.expires).toISOString()}`);
  assert.equal((await rfbHandshake(first.address, first.port, first.password)).ok, false, 'the replaced password no longer works');
  assert.equal((await rfbHandshake(short.address, short.port, short.password)).ok, true, 'the new password works before it expires');
  await new Promise((r) => setTimeout(r, Math.max(0, short.expires - Date.now()) + 1500));
  const expired = await rfbHandshake(short.address, short.port, short.password);
  assert.equal(expired.ok, false, 'an expired password is refused');
  const again = await wvid();
  assert.equal((await rfbHandshake(again.address, again.port, again.password)).ok, true, 'a fresh wvid lets the viewer in again');
});

test('wvid - --ttl out of range is a usage error; a guest that does not run has no display', { timeout: 60_000 }, async () => {
  for (const t of ['0', '3601', 'abc']) {
    const r = await c.cli(['wvid', GUEST, '--ttl', t]);
    assert.equal(r.code, 2, `--ttl ${t}: ${r.stderr}`);
    assert.match(r.stderr, /--ttl .*expected whole seconds from 1 to 3600/);
  }
  const add = await c.cli(['nodeadd', 'vncoff', 'vm.host=node02', 'vm.memory=64M']);
  assert.equal(add.code, 0, add.stderr);
  const r = await c.cli(['wvid', 'vncoff']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /vncoff: .*(not found|no such|not defined|off)/i);
});
