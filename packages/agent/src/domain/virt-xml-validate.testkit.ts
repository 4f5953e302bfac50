// Test helper (not part of the public API): checks XML against libvirt's own schemas with
// virt-xml-validate, which ships with libvirt-clients.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const VIRT_XML_VALIDATE = '/usr/bin/virt-xml-validate';

/** libvirt schema names this project validates against. */
export type LibvirtSchema = 'domain' | 'storagepool' | 'storagevol' | 'network';

/**
 * Resolves when libvirt's schema accepts the XML; rejects with the validator's output otherwise.
 * A missing validator is an error (with the package to install), never a silent pass.
 */
export async function virtXmlValidate(xml: string, schema: LibvirtSchema): Promise<void> {
  if (!existsSync(VIRT_XML_VALIDATE)) {
    throw new Error(`${VIRT_XML_VALIDATE} is missing; install Debian's libvirt-clients (see docs/lab.md)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'drover-xml-'));
  const file = join(dir, `${schema}.xml`);
  try {
    writeFileSync(file, xml);
    await new Promise<void>((resolve, reject) => {
      execFile(VIRT_XML_VALIDATE, [file, schema], { timeout: 30_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`virt-xml-validate (${schema}) refused the XML:\n${stderr}${stdout}\n--- xml ---\n${xml}`));
        else resolve();
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
