import type { homeEn } from './home-en.js';

/** The words of the web slack-app-home, in Chinese: the keys of home-en.ts. */
export const homeZhCN: Record<keyof typeof homeEn, string> = {};
