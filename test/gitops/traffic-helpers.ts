import { expect } from 'vitest';
import type { ManifestError } from '../../src/domain/errors.js';
import { getTrafficFormat, type TrafficFile, type Weights } from '../../src/gitops/traffic/index.js';
import { expectManifestError } from '../updaters/helpers.js';

export const lines = (...l: string[]): string => `${l.join('\n')}\n`;

/**
 * Asserts that read() refuses `src` with `code` at `line` (the message naming the file and that
 * line, and containing `text`), and that write() refuses it the same way.
 */
export function expectRefused(file: TrafficFile, src: string, code: ManifestError['code'], line: number, text: string, weights?: Weights): void {
  const traffic = getTrafficFormat(file.format);
  const error = expectManifestError(() => traffic.read(src, file), code, file.file, line);
  expect(error.message).toContain(text);
  const again = expectManifestError(() => traffic.write(src, file, weights ?? { blue: 0, green: 100 }), code, file.file, line);
  expect(again.message).toBe(error.message);
}
