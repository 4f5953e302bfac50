// Connection-level calls of @drover/libvirt on libvirt's test driver: host facts, errors and
// their codes, closed handles, liveHandles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import {
  Connection,
  ErrorNumber,
  LibvirtError,
  liveHandles,
  writeTestHost,
  ConnectCloseReason,
  type CloseEventInfo,
} from '@drover/libvirt';

function host() {
  const h = writeTestHost({ domains: [{ name: 'alpha' }, { name: 'beta', state: 'shutoff' }] });
  return { ...h, [Symbol.dispose]: () => rmSync(h.dir, { recursive: true, force: true }) };
}

async function waitForZero(): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const n = liveHandles();
    if (Object.values(n).every((v) => v === 0)) return;
    if (Date.now() > deadline) assert.fail(`handles still live: ${JSON.stringify(n)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('libvirt connection - host facts from the test driver', async () => {
  using h = host();
  const c = await Connection.open(h.uri);
  try {
    assert.equal(await c.type(), 'TEST');
    assert.equal(await c.getURI(), h.uri);
    assert.equal(typeof (await c.hostname()), 'string');
    assert.ok((await c.hostname()).length > 0);
    const ni = await c.nodeInfo();
    assert.equal(ni.memoryKiB, 8388608);
    assert.ok(ni.cpus > 0 && ni.mhz > 0);
    assert.equal(typeof ni.model, 'string');
    const lib = await c.libVersion();
    assert.equal(lib.major, 9);
    assert.equal(lib.number, lib.major * 1e6 + lib.minor * 1e3 + lib.release);
    const hv = await c.hypervisorVersion();
    assert.ok(hv.number > 0);
    assert.match(await c.capabilities(), /<capabilities>/);
    assert.equal(await c.isAlive(), true);
  } finally {
    await c.close();
  }
});

test('libvirt connection - unknown domain rejects with NO_DOMAIN and the caller stack', async () => {
  using h = host();
  const c = await Connection.open(h.uri);
  try {
    const err = await c.lookupDomainByName('no-such-guest').then(
      () => assert.fail('lookup of a missing domain succeeded'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof LibvirtError);
    assert.equal(err.code, ErrorNumber.NO_DOMAIN);
    assert.equal(err.codeName, 'NO_DOMAIN');
    assert.equal(err.operation, 'Connection.lookupDomainByName');
    assert.equal(err.level, 2);
    assert.ok(err.domain > 0, 'error domain set');
    assert.match(err.message, /not found/i);
    assert.match(err.stack ?? '', /libvirt-connection\.test\.js/, 'stack points at the calling test');
  } finally {
    await c.close();
  }
});

test('libvirt connection - invalid XML rejects with an XML error code', async () => {
  using h = host();
  const c = await Connection.open(h.uri);
  try {
    await assert.rejects(c.defineDomain('<domain type="test"><name>x</name'), (e: unknown) => {
      assert.ok(e instanceof LibvirtError);
      assert.ok([ErrorNumber.XML_ERROR, ErrorNumber.XML_DETAIL].includes(e.code), `code ${e.codeName}`);
      return true;
    });
    await assert.rejects(
      c.defineDomain('<domain type="test"></domain>'),
      (e: unknown) => e instanceof LibvirtError && e.code !== ErrorNumber.OK,
    );
  } finally {
    await c.close();
  }
});

test('libvirt connection - unknown URI scheme and missing file reject with a code', async () => {
  await assert.rejects(Connection.open('nosuchdriver:///system'), (e: unknown) => {
    assert.ok(e instanceof LibvirtError);
    assert.notEqual(e.code, ErrorNumber.OK);
    assert.equal(e.operation, 'Connection.open');
    return true;
  });
  await assert.rejects(
    Connection.open('test:///nonexistent/dir/host.xml'),
    (e: unknown) => e instanceof LibvirtError && e.code !== ErrorNumber.OK,
  );
  await waitForZero();
});

test('libvirt connection - unsupported calls reject with NO_SUPPORT', async () => {
  using h = host();
  const c = await Connection.open(h.uri);
  try {
    await assert.rejects(c.setKeepAlive(5, 3), (e: unknown) => e instanceof LibvirtError && e.code === ErrorNumber.NO_SUPPORT);
    await assert.rejects(
      c.compareCPU('<cpu><arch>x86_64</arch></cpu>'),
      (e: unknown) => e instanceof LibvirtError && e.code === ErrorNumber.NO_SUPPORT,
    );
  } finally {
    await c.close();
  }
});

test('libvirt connection - calls on a closed connection or its domains reject clearly', async () => {
  using h = host();
  const c = await Connection.open(h.uri);
  const d = await c.lookupDomainByName('alpha');
  const pool = (await c.listAllStoragePools())[0];
  let closeEvent: CloseEventInfo | undefined;
  c.on('close', (ev) => (closeEvent = ev));
  await c.close();
  assert.equal(c.closed, true);
  assert.equal(closeEvent?.reason, ConnectCloseReason.CLIENT);
  await c.close(); // idempotent
  await assert.rejects(c.hostname(), (e: unknown) => {
    assert.ok(e instanceof LibvirtError);
    assert.equal(e.code, ErrorNumber.INVALID_CONN);
    assert.match(e.message, /closed/);
    return true;
  });
  await assert.rejects(
    d.state(),
    (e: unknown) => e instanceof LibvirtError && e.code === ErrorNumber.INVALID_CONN && /closed/.test(e.message),
  );
  await assert.rejects(d.destroy(), (e: unknown) => e instanceof LibvirtError && e.code === ErrorNumber.INVALID_CONN);
  await assert.rejects(c.listAllDomains(), (e: unknown) => e instanceof LibvirtError && e.code === ErrorNumber.INVALID_CONN);
  assert.equal(pool, undefined); // the file defines no pools
  await waitForZero();
});

test('libvirt connection - a freed domain handle rejects with INVALID_DOMAIN', async () => {
  using h = host();
  const c = await Connection.open(h.uri);
  try {
    const d = await c.lookupDomainByName('alpha');
    assert.equal((await d.state()).stateName, 'RUNNING');
    d.free();
    d.free(); // twice is harmless
    await assert.rejects(
      d.state(),
      (e: unknown) => e instanceof LibvirtError && e.code === ErrorNumber.INVALID_DOMAIN && /closed/.test(e.message),
    );
  } finally {
    await c.close();
  }
});

test('libvirt connection - bad arguments throw TypeError, not a crash', async () => {
  using h = host();
  const c = await Connection.open(h.uri);
  try {
    await assert.rejects(c.lookupDomainByName(42 as unknown as string), TypeError);
    await assert.rejects(c.lookupDomainByID('x' as unknown as number), TypeError);
  } finally {
    await c.close();
  }
});

test('libvirt connection - liveHandles counts connections and objects and returns to zero on close', async () => {
  using h = host();
  await waitForZero();
  const c = await Connection.open(h.uri);
  const doms = await c.listAllDomains();
  assert.equal(doms.length, 2);
  const one = await c.lookupDomainByName('alpha');
  const n = liveHandles();
  assert.equal(n.connections, 1);
  assert.equal(n.domains, 3);
  assert.equal(one.name, 'alpha');
  await c.close();
  await waitForZero();
});

test('libvirt connection - each connection starts from the file again', async () => {
  using h = host();
  const a = await Connection.open(h.uri);
  const b = await Connection.open(h.uri);
  try {
    await (await a.lookupDomainByName('alpha')).destroy();
    assert.equal((await (await a.lookupDomainByName('alpha')).state()).stateName, 'SHUTOFF');
    assert.equal((await (await b.lookupDomainByName('alpha')).state()).stateName, 'RUNNING');
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('libvirt connection - closing with calls in flight settles every call without a crash', async () => {
  using h = host();
  const c = await Connection.open(h.uri);
  const d = await c.lookupDomainByName('alpha');
  const calls = Array.from({ length: 40 }, (_, i) => (i % 2 ? d.state() : c.listAllDomains()));
  const closing = c.close();
  const results = await Promise.allSettled(calls);
  await closing;
  for (const r of results) {
    if (r.status === 'rejected') {
      assert.ok(r.reason instanceof LibvirtError, String(r.reason));
      assert.equal(r.reason.code, ErrorNumber.INVALID_CONN);
    }
  }
  await waitForZero();
});
