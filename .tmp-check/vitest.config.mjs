export default { test: { include: ['.tmp-check/*.test.ts'] } };
