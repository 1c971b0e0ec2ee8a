/** The words of the web sign-in (issue 14), in English; signin-zh-cn.ts holds the same keys. */
export const signinEn = {} as const satisfies Record<string, string>;
