// Domain calls of @drover/libvirt on libvirt's test driver: lifecycle, states with reasons, XML
// round trip, definitions, settings, and NO_SUPPORT for what the test driver lacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import {
  Connection,
  DomainState,
  ErrorNumber,
  LibvirtError,
  ConnectListAllDomainsFlags,
  DomainMemoryModFlags,
  DomainMigrateFlags,
  DomainPausedReason,
  DomainRunningReason,
  DomainShutoffReason,
  DomainUndefineFlagsValues,
  DomainXMLFlags,
  writeTestHost,
  type Domain,
} from '@drover/libvirt';

async function withHost(fn: (c: Connection) => Promise<void>): Promise<void> {
  const h = writeTestHost({
    domains: [
      { name: 'run1', uuid: '11111111-2222-3333-4444-555555555555' },
      { name: 'paused1', state: 'paused' },
      { name: 'off1', state: 'shutoff' },
    ],
  });
  const c = await Connection.open(h.uri);
  try {
    await fn(c);
  } finally {
    await c.close();
    rmSync(h.dir, { recursive: true, force: true });
  }
}

const NEW_DOMAIN = `<domain type='test'>
  <name>fresh</name>
  <memory unit='KiB'>131072</memory>
  <currentMemory unit='KiB'>131072</currentMemory>
  <vcpu placement='static' current='1'>2</vcpu>
  <os><type arch='i686'>hvm</type></os>
  <on_poweroff>destroy</on_poweroff>
</domain>`;

const names = (ds: Domain[]) => ds.map((d) => d.name).sort();

test('libvirt domain - listAll honours state filter flags', async () => {
  await withHost(async (c) => {
    assert.deepEqual(names(await c.listAllDomains()), ['off1', 'paused1', 'run1']);
    assert.deepEqual(names(await c.listAllDomains(ConnectListAllDomainsFlags.ACTIVE)), ['paused1', 'run1']);
    assert.deepEqual(names(await c.listAllDomains(ConnectListAllDomainsFlags.INACTIVE)), ['off1']);
    assert.deepEqual(names(await c.listAllDomains(ConnectListAllDomainsFlags.RUNNING)), ['run1']);
    assert.deepEqual(names(await c.listAllDomains(ConnectListAllDomainsFlags.PAUSED)), ['paused1']);
    assert.deepEqual(names(await c.listAllDomains(ConnectListAllDomainsFlags.SHUTOFF)), ['off1']);
    assert.deepEqual(names(await c.listAllDomains(ConnectListAllDomainsFlags.PERSISTENT)), ['off1', 'paused1', 'run1']);
    assert.deepEqual(names(await c.listAllDomains(ConnectListAllDomainsFlags.TRANSIENT)), []);
  });
});

test('libvirt domain - lookup by name, UUID and id agree', async () => {
  await withHost(async (c) => {
    const byName = await c.lookupDomainByName('run1');
    assert.equal(byName.uuid, '11111111-2222-3333-4444-555555555555');
    const byUuid = await c.lookupDomainByUUID(byName.uuid);
    assert.equal(byUuid.name, 'run1');
    const id = await byName.id();
    assert.ok(id > 0, `running domain has an id (${id})`);
    assert.equal((await c.lookupDomainByID(id)).name, 'run1');
    assert.equal(await (await c.lookupDomainByName('off1')).id(), -1);
    await assert.rejects(
      c.lookupDomainByUUID('99999999-2222-3333-4444-555555555555'),
      (e: unknown) => e instanceof LibvirtError && e.code === ErrorNumber.NO_DOMAIN,
    );
    await assert.rejects(c.lookupDomainByID(9999), (e: unknown) => e instanceof LibvirtError && e.code === ErrorNumber.NO_DOMAIN);
  });
});

test('libvirt domain - lifecycle calls move through states with reasons', async () => {
  await withHost(async (c) => {
    const d = await c.lookupDomainByName('run1');
    assert.equal((await d.state()).state, DomainState.RUNNING);
    await d.suspend();
    let s = await d.state();
    assert.deepEqual([s.state, s.reason, s.stateName, s.reasonName], [DomainState.PAUSED, DomainPausedReason.USER, 'PAUSED', 'USER']);
    await d.resume();
    s = await d.state();
    assert.deepEqual([s.state, s.reason], [DomainState.RUNNING, DomainRunningReason.UNPAUSED]);
    await d.reboot();
    await d.reset();
    assert.equal((await d.state()).state, DomainState.RUNNING);
    await d.shutdown();
    s = await d.state();
    assert.deepEqual([s.state, s.reason, s.reasonName], [DomainState.SHUTOFF, DomainShutoffReason.SHUTDOWN, 'SHUTDOWN']);
    assert.equal(await d.isActive(), false);
    await d.start();
    s = await d.state();
    assert.deepEqual([s.state, s.reason], [DomainState.RUNNING, DomainRunningReason.BOOTED]);
    assert.equal(await d.isActive(), true);
    await d.destroy();
    assert.equal((await d.state()).reason, DomainShutoffReason.DESTROYED);
    // destroying a stopped domain or starting a running one fails
    await assert.rejects(d.destroy(), (e: unknown) => e instanceof LibvirtError && e.code === ErrorNumber.OPERATION_INVALID);
    await d.create();
    await assert.rejects(d.start(), (e: unknown) => e instanceof LibvirtError && /already running/.test(e.message));
  });
});

test('libvirt domain - managed save stops the domain and start restores it', async () => {
  await withHost(async (c) => {
    const d = await c.lookupDomainByName('run1');
    assert.equal(await d.hasManagedSave(), false);
    await d.managedSave();
    const s = await d.state();
    assert.deepEqual([s.state, s.reason], [DomainState.SHUTOFF, DomainShutoffReason.SAVED]);
    assert.equal(await d.hasManagedSave(), true);
    await d.start();
    assert.equal((await d.state()).state, DomainState.RUNNING);
    assert.equal(await d.hasManagedSave(), false);
    await d.managedSave();
    await d.managedSaveRemove();
    assert.equal(await d.hasManagedSave(), false);
  });
});

test('libvirt domain - info reports memory and vcpus, setters change them', async () => {
  await withHost(async (c) => {
    const d = await c.lookupDomainByName('run1');
    const i = await d.info();
    assert.equal(i.state, DomainState.RUNNING);
    assert.equal(i.maxMemKiB, 65536);
    assert.equal(i.memoryKiB, 65536);
    assert.equal(i.vcpus, 1);
    await d.setMemory(32768, DomainMemoryModFlags.LIVE);
    assert.equal((await d.info()).memoryKiB, 32768);
    await assert.rejects(
      d.setMemory(10 * 65536, DomainMemoryModFlags.LIVE),
      (e: unknown) => e instanceof LibvirtError && e.code === ErrorNumber.INVALID_ARG,
    );
    await d.setVcpus(1);
    assert.equal(await d.getAutostart(), false);
    await d.setAutostart(true);
    assert.equal(await d.getAutostart(), true);
  });
});

test('libvirt domain - define, XML round trip, createXML transient, undefine', async () => {
  await withHost(async (c) => {
    const d = await c.defineDomain(NEW_DOMAIN);
    assert.equal(d.name, 'fresh');
    assert.match(d.uuid, /^[0-9a-f-]{36}$/);
    assert.equal(await d.isPersistent(), true);
    assert.equal((await d.state()).state, DomainState.SHUTOFF);
    const xml = await d.getXMLDesc(DomainXMLFlags.INACTIVE);
    assert.match(xml, /<name>fresh<\/name>/);
    assert.match(xml, new RegExp(`<uuid>${d.uuid}</uuid>`));
    assert.match(xml, /<memory unit='KiB'>131072<\/memory>/);
    assert.match(await d.getXMLDesc(DomainXMLFlags.MIGRATABLE | DomainXMLFlags.SECURE), /<name>fresh<\/name>/);
    // redefining from the dumped XML keeps the identity
    const again = await c.defineDomain(xml);
    assert.equal(again.uuid, d.uuid);
    await d.undefine(DomainUndefineFlagsValues.MANAGED_SAVE | DomainUndefineFlagsValues.SNAPSHOTS_METADATA);
    await assert.rejects(c.lookupDomainByName('fresh'), (e: unknown) => e instanceof LibvirtError && e.code === ErrorNumber.NO_DOMAIN);

    const t = await c.createDomain(NEW_DOMAIN.replace('fresh', 'temp'));
    assert.equal(await t.isPersistent(), false);
    assert.equal((await t.state()).state, DomainState.RUNNING);
    await t.destroy();
    await assert.rejects(c.lookupDomainByName('temp'), (e: unknown) => e instanceof LibvirtError && e.code === ErrorNumber.NO_DOMAIN);
  });
});

test('libvirt domain - what the test driver lacks rejects with NO_SUPPORT or a clear code', async () => {
  await withHost(async (c) => {
    const d = await c.lookupDomainByName('run1');
    const noSupport = (e: unknown) => e instanceof LibvirtError && e.code === ErrorNumber.NO_SUPPORT;
    await assert.rejects(d.jobInfo(), noSupport);
    await assert.rejects(d.jobStats(), noSupport);
    await assert.rejects(d.abortJob(), noSupport);
    await assert.rejects(d.migrateSetMaxSpeed(10), noSupport);
    await assert.rejects(d.attachDevice("<disk type='file' device='disk'><source file='/x.img'/><target dev='vdb'/></disk>"), noSupport);
    await assert.rejects(d.openConsole(), noSupport);
    await assert.rejects(d.blockInfo('vdz'), (e: unknown) => e instanceof LibvirtError && e.code === ErrorNumber.INVALID_ARG);
    await assert.rejects(
      d.migrateToURI3('test:///default', {}, DomainMigrateFlags.LIVE | DomainMigrateFlags.PEER2PEER),
      (e: unknown) => e instanceof LibvirtError && e.code !== ErrorNumber.OK && e.operation === 'Domain.migrateToURI3',
    );
    assert.deepEqual(await d.interfaceAddresses(), []);
  });
});

test('libvirt domain - migration parameters are checked before the call', async () => {
  await withHost(async (c) => {
    const d = await c.lookupDomainByName('run1');
    await assert.rejects(d.migrateToURI3('test:///default', { bandwidth: -1 }), TypeError);
    await assert.rejects(d.migrateToURI3('test:///default', { migrateUri: 5 as unknown as string }), TypeError);
    await assert.rejects(d.migrateToURI3('test:///default', { bogus: 1 } as never), TypeError);
  });
});
