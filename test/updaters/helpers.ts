import { expect } from 'vitest';
import { ManifestError } from '../../src/domain/errors.js';

export const D1 = 'sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae';
export const D2 = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const WEB = 'registry.example.com/acme/web';

/** The ManifestError `fn` throws; fails the test when it throws nothing or something else. */
export function manifestError(fn: () => unknown): ManifestError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ManifestError);
    return e as ManifestError;
  }
  throw new Error('expected a ManifestError, nothing was thrown');
}

/** Asserts the code, the line, and that the message names the file and that line. */
export function expectManifestError(fn: () => unknown, code: ManifestError['code'], file: string, line: number): ManifestError {
  const error = manifestError(fn);
  expect(error.code).toBe(code);
  expect(error.line).toBe(line);
  expect(error.message).toContain(`${file} line ${line}:`);
  return error;
}

export const crlf = (text: string): string => text.replace(/\r?\n/g, '\r\n');
