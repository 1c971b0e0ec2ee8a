import type { signinEn } from './signin-en.js';

/** The words of the web sign-in, in Chinese: the keys of signin-en.ts. */
export const signinZhCN: Record<keyof typeof signinEn, string> = {
  'help.login': '获取登录网页面板的一次性链接（只发给你本人）',
  'signin.link': '你的 gantry 面板登录链接。只能使用一次，有效期至 {until}；谁先打开就以你的身份登录，请勿转发：{url}',
  'signin.error.no-public-url': 'gantry 不知道自己的网址，无法生成登录链接：请设置 GANTRY_PUBLIC_URL（例如 https://gantry.example.com）',
  'signin.error.args': '/gantry login 不带参数',
  'signin.error.dingtalk-group': '登录链接只在单聊中发送：请直接私聊 gantry 机器人并输入 /gantry login。这里没有发送任何链接。',
  'signin.title': '登录',
  'signin.github': '使用 GitHub 登录',
  'signin.chat': '或在 Slack、钉钉或命令行中向 gantry 输入 {command}：它只回复你本人，附带一个只能使用一次的登录链接。',
  'signin.signed-in': '你已登录为 {name}。',
  'signin.link.title': '登录 gantry',
  'signin.link.button': '以 {name} 身份登录',
  'signin.link.explain': '此链接签发给 {identity}，只能使用一次，有效期至 {until}。',
  'signin.link.unknown': '此登录链接无效。请用 {command} 向 gantry 获取新链接。',
  'signin.link.expired': '此登录链接已过期。请用 {command} 向 gantry 获取新链接。',
  'signin.link.used': '此登录链接已被使用过，只能使用一次。请用 {command} 向 gantry 获取新链接。',
  'signin.refused.title': '未执行任何操作',
  'signin.refused.csrf': '此表单缺少你会话的令牌（页面过旧，或请求来自别处）：未执行任何操作。请刷新页面后重试。',
  'signin.refused.cross-site': '此请求来自其他网站：未执行任何操作。',
  'signin.refused.signed-out': '你尚未登录（或登录已过期）：未执行任何操作。请登录后重试。',
  'signin.github.denied': 'GitHub 登录已取消：没有任何改变。',
  'signin.github.state': '此次 GitHub 登录不是从这里发起的，或耗时过长：没有任何改变。请重试。',
  'signin.github.failed': 'GitHub 未能确认你的身份（{reason}）：没有任何改变。请重试，或使用 {command}。',
  'signin.github.off': '此处未配置 GitHub 登录（GITHUB_CLIENT_ID 和 GITHUB_CLIENT_SECRET）。',
};
