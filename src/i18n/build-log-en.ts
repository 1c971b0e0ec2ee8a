/** The words of the web build-pages (issue 14), in English; build-log-zh-cn.ts holds the same keys. */
export const buildLogEn = {} as const satisfies Record<string, string>;
