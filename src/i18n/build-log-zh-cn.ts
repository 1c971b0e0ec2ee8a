import type { buildLogEn } from './build-log-en.js';

/** The words of the web build-pages, in Chinese: the keys of build-log-en.ts. */
export const buildLogZhCN: Record<keyof typeof buildLogEn, string> = {};
