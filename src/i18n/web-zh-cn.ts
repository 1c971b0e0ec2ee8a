import type { webEn } from './web-en.js';

/** The words of the web pages, in Chinese: the keys of web-en.ts. */
export const webZhCN: Record<keyof typeof webEn, string> = {};
