import type { errorsEn } from './errors-en.js';

/** The refusals of errors-en.ts in Simplified Chinese: the same keys (the compiler checks). */
export const errorsZhCN: Record<keyof typeof errorsEn, string> = {};
