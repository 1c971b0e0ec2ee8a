import type { signinEn } from './signin-en.js';

/** The words of the web sign-in, in Chinese: the keys of signin-en.ts. */
export const signinZhCN: Record<keyof typeof signinEn, string> = {};
