/** The words of the web pages (issue 14), in English; web-zh-cn.ts holds the same keys. */
export const webEn = {} as const satisfies Record<string, string>;
