/** The words of the web slack-app-home (issue 14), in English; home-zh-cn.ts holds the same keys. */
export const homeEn = {} as const satisfies Record<string, string>;
