/**
 * Refusals from below the command layer (grammar, policy, versions, the deployer, manifests), in
 * English; errors-zh-cn.ts holds the same keys. Spread into the catalog (messages-en.ts).
 */
export const errorsEn = {} as const satisfies Record<string, string>;
