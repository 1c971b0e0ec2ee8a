import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { getTrafficFormat, TRAFFIC_FORMATS, TrafficFileSchema, type Weights } from '../../src/gitops/traffic/index.js';

/**
 * Golden files: test/fixtures/traffic/<format>/<case>.before.yaml and <case>.after.yaml, and
 * cases.json ({ <case>: { note, file: TrafficFile, weights, crlf? } }). The whole output is compared
 * with <case>.after.yaml byte for byte; no snapshots, so a fixture changes only when someone edits it.
 * The loop is over the registry's names: a new format fails here until it brings golden cases.
 */
const ROOT = fileURLToPath(new URL('../fixtures/traffic/', import.meta.url));

interface Case {
  note: string;
  file: unknown;
  weights: Weights;
  crlf?: boolean;
}

for (const format of TRAFFIC_FORMATS) {
  describe(`${format} traffic golden files`, () => {
    const casesFile = join(ROOT, format, 'cases.json');
    const cases = existsSync(casesFile) ? (JSON.parse(readFileSync(casesFile, 'utf8')) as Record<string, Case>) : {};
    const traffic = getTrafficFormat(format);

    it('has golden cases, one of them with CRLF line ends', () => {
      expect(Object.keys(cases).length).toBeGreaterThanOrEqual(3);
      expect(Object.values(cases).some((c) => c.crlf)).toBe(true);
    });

    for (const [name, spec] of Object.entries(cases)) {
      const file = TrafficFileSchema.parse(spec.file);
      const before = readFileSync(join(ROOT, format, `${name}.before.yaml`), 'utf8');
      const after = readFileSync(join(ROOT, format, `${name}.after.yaml`), 'utf8');

      it(`${name}: ${spec.note}`, () => {
        expect(file.format).toBe(format);
        if (spec.crlf) {
          // Guards against a checkout that normalised the fixture's line endings.
          expect(before).toContain('\r\n');
          expect(before).not.toMatch(/[^\r]\n/);
        }
        expect(traffic.read(before, file).weights).not.toEqual(spec.weights);
        const result = traffic.write(before, file, spec.weights);
        expect(result.content).toBe(after);
        expect(result.changes.length).toBeGreaterThan(0);
        for (const change of result.changes) {
          expect(change.file).toBe(file.file);
          expect(change.image).toMatch(/^traffic:(blue|green)$/);
          expect(change.before).not.toBe(change.after);
          // The change's line is the line whose text changed.
          const line = change.line - 1;
          expect(before.split('\n')[line]).not.toBe(after.split('\n')[line]);
        }
      });

      it(`${name}: read() gives the new weights, and writing them again changes nothing`, () => {
        const read = traffic.read(after, file);
        expect(read.weights).toEqual(spec.weights);
        expect(read.lines.length).toBeGreaterThan(0);
        expect(traffic.write(after, file, spec.weights)).toEqual({ content: after, changes: [] });
        // And back: the old weights restore the original bytes.
        expect(traffic.write(after, file, traffic.read(before, file).weights).content).toBe(before);
      });
    }
  });
}
