import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DeployFileSchema, FORMATS, type DeployFile } from '../../src/config/schema.js';
import { getUpdater, type ImageTarget } from '../../src/gitops/updaters/index.js';

/**
 * Golden files: test/fixtures/updaters/<format>/<case>/{before,after}.<ext> + case.json
 * ({ file: DeployFile, targets: ImageTarget[], crlf? }). The whole output is compared with
 * after.* exactly; no snapshots, so a fixture changes only when someone edits it.
 */
const ROOT = fileURLToPath(new URL('../fixtures/updaters/', import.meta.url));

interface Case {
  note?: string;
  file: DeployFile;
  targets: ImageTarget[];
  crlf?: boolean;
}

for (const format of FORMATS) {
  describe(`${format} golden files`, () => {
    const dir = join(ROOT, format);
    const cases = existsSync(dir) ? readdirSync(dir).sort() : [];

    it('has golden cases', () => expect(cases.length).toBeGreaterThanOrEqual(2));

    for (const name of cases) {
      const spec = JSON.parse(readFileSync(join(dir, name, 'case.json'), 'utf8')) as Case;
      const file = DeployFileSchema.parse(spec.file);
      const ext = format === 'marathon' ? 'json' : 'yaml';
      const before = readFileSync(join(dir, name, `before.${ext}`), 'utf8');
      const after = readFileSync(join(dir, name, `after.${ext}`), 'utf8');
      const updater = getUpdater(format);

      it(`${name}: ${spec.note ?? ''}`, () => {
        expect(file.format).toBe(format);
        if (spec.crlf) {
          // Guards against a checkout that normalised the fixture's line endings.
          expect(before).toContain('\r\n');
          expect(before).not.toMatch(/[^\r]\n/);
        }
        const result = updater.update(before, file, spec.targets);
        expect(result.content).toBe(after);
        expect(result.changes.length).toBeGreaterThan(0);
        for (const change of result.changes) {
          expect(change.file).toBe(file.file);
          expect(spec.targets.map((t) => t.name)).toContain(change.image);
          expect(change.before).not.toBe(change.after);
        }
      });

      it(`${name}: re-applying changes nothing, and read() sees the targets`, () => {
        const again = updater.update(after, file, spec.targets);
        expect(again.changes).toEqual([]);
        expect(again.content).toBe(after);
        const found = updater.read(after, file, spec.targets);
        for (const target of spec.targets) {
          const mine = found.filter((f) => f.name === target.name);
          expect(mine.length).toBeGreaterThan(0);
          for (const f of mine) {
            if (f.tag !== undefined) expect(f.tag).toBe(target.tag);
            if (target.pin) expect(f.digest).toBe(target.digest);
            else expect(f.digest).toBeUndefined();
            expect(f.line).toBeGreaterThanOrEqual(1);
          }
        }
      });
    }
  });
}
