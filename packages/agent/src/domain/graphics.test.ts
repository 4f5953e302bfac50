import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpecError } from './errors.js';
import { vncGraphicsXml } from './graphics.js';
import { readXml } from './xml.js';
import { virtXmlValidate } from './virt-xml-validate.testkit.js';

/** The schema checks a whole domain, so the element is checked inside a minimal one. */
function inDomain(graphics: string): string {
  return `<domain type='kvm'><name>a</name><memory>65536</memory><os><type>hvm</type></os><devices>${graphics}</devices></domain>`;
}

test('vnc graphics - one-time password with expiry in UTC', async () => {
  const xml = vncGraphicsXml({ passwd: 'x&y<z', validTo: new Date('2031-05-06T07:08:09.999Z'), listen: '127.0.0.1', connected: 'keep' });
  assert.deepEqual(readXml(xml), {
    graphics: [
      {
        '@_type': 'vnc',
        '@_autoport': 'yes',
        '@_listen': '127.0.0.1',
        '@_passwd': 'x&y<z',
        '@_passwdValidTo': '2031-05-06T07:08:09',
        '@_connected': 'keep',
        listen: [{ '@_type': 'address', '@_address': '127.0.0.1' }],
      },
    ],
  });
  await virtXmlValidate(inDomain(xml), 'domain');
});

test('vnc graphics - fixed port kept, no expiry, no listen', async () => {
  const xml = vncGraphicsXml({ passwd: 'abc', port: 5902 });
  assert.deepEqual(readXml(xml), { graphics: [{ '@_type': 'vnc', '@_port': '5902', '@_autoport': 'no', '@_passwd': 'abc' }] });
  await virtXmlValidate(inDomain(xml), 'domain');
});

test('vnc graphics - bad inputs are refused naming the field', () => {
  const field = (f: string) => (e: unknown) => e instanceof SpecError && e.field === f;
  assert.throws(() => vncGraphicsXml({ passwd: 'longerthan8' }), field('passwd'));
  assert.throws(() => vncGraphicsXml({ passwd: '' }), field('passwd'));
  assert.throws(() => vncGraphicsXml({ passwd: 'ok', validTo: new Date('nope') }), field('validTo'));
  assert.throws(() => vncGraphicsXml({ passwd: 'ok', listen: 'host"x' }), field('listen'));
  assert.throws(() => vncGraphicsXml({ passwd: 'ok', port: 22 }), field('port'));
  assert.throws(() => vncGraphicsXml({ passwd: 'ok', connected: 'maybe' as never }), field('connected'));
});
