import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setBootOrder } from './boot.js';
import { buildDomainXml } from './build.js';
import { SpecError } from './errors.js';
import { parseDomainXml } from './parse.js';
import { fullSpec, LIVE_XML } from './fixtures.testkit.js';
import { virtXmlValidate } from './virt-xml-validate.testkit.js';

test('boot order - network first for an install, disk first after it', async () => {
  const xml = buildDomainXml(fullSpec({ boot: ['disk'] }));
  const install = setBootOrder(xml, ['network', 'disk']);
  assert.deepEqual(parseDomainXml(install).boot, ['network', 'disk']);
  const after = setBootOrder(install, ['disk']);
  assert.deepEqual(parseDomainXml(after).boot, ['disk']);
  await virtXmlValidate(install, 'domain');
  await virtXmlValidate(after, 'domain');
});

test('boot order - everything else in a live domain is kept', () => {
  const out = setBootOrder(LIVE_XML, ['network', 'disk']);
  const before = parseDomainXml(LIVE_XML);
  const after = parseDomainXml(out);
  assert.deepEqual(after.boot, ['network', 'disk']);
  assert.deepEqual({ ...after, boot: before.boot }, before);
  // metadata in its own namespace, seclabel and addresses survive
  assert.match(out, /<drover:guest xmlns:drover="https:\/\/drover.example\/xmlns\/1">web1<\/drover:guest>/);
  assert.match(out, /<seclabel type="none" model="none"\/>/);
  assert.match(out, /<address type="pci" domain="0x0000" bus="0x00" slot="0x04" function="0x0"\/>/);
  // the boot list sits right after <type> in <os>
  assert.match(out, /<type arch="x86_64" machine="pc-i440fx-7.2">hvm<\/type>\s*<boot dev="network"\/>\s*<boot dev="hd"\/>\s*<\/os>/);
});

test('boot order - inserted after type and loader when the domain had none; per-device order removed', async () => {
  const xml = `<domain type='kvm'><name>a</name><memory>65536</memory>
  <!-- made by hand -->
  <os><type arch='x86_64' machine='pc'>hvm</type><loader readonly='yes' type='rom'>/usr/share/seabios/bios.bin</loader><bootmenu enable='no'/></os>
  <devices>
    <disk type='file' device='disk'><source file='/v/a&amp;b.img'/><target dev='vda' bus='virtio'/><boot order='1'/></disk>
    <interface type='bridge'><source bridge='br0'/><boot order='2'/></interface>
  </devices></domain>`;
  const out = setBootOrder(xml, ['cdrom', 'disk']);
  assert.match(out, /<\/loader>\s*<boot dev="cdrom"\/>\s*<boot dev="hd"\/>\s*<bootmenu enable="no"\/>/);
  assert.doesNotMatch(out, /order=/);
  assert.match(out, /<!-- made by hand -->/);
  assert.match(out, /file="\/v\/a&amp;b.img"/);
  assert.deepEqual(parseDomainXml(out).boot, ['cdrom', 'disk']);
  await virtXmlValidate(out, 'domain');
});

test('boot order - bad orders and non-domains are refused', () => {
  const xml = buildDomainXml(fullSpec());
  assert.throws(
    () => setBootOrder(xml, ['floppy' as never]),
    (e: unknown) => e instanceof SpecError && e.field === 'boot[0]',
  );
  assert.throws(
    () => setBootOrder(xml, ['disk', 'disk']),
    (e: unknown) => e instanceof SpecError && e.field === 'boot[1]',
  );
  assert.throws(
    () => setBootOrder('<pool/>', ['disk']),
    (e: unknown) => e instanceof SpecError && e.code === 'DOMAIN_XML_INVALID',
  );
  assert.throws(
    () => setBootOrder('<domain><name>a</name></domain>', ['disk']),
    (e: unknown) => e instanceof SpecError && /no <os>/.test(e.message),
  );
  assert.throws(
    () => setBootOrder('<domain><os>', ['disk']),
    (e: unknown) => e instanceof SpecError && e.code === 'DOMAIN_XML_INVALID',
  );
});
