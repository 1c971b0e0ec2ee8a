import type { homeEn } from './home-en.js';

/** The words of the Slack App Home, in Chinese: the keys of home-en.ts. */
export const homeZhCN: Record<keyof typeof homeEn, string> = {
  'home.approvals': '等你批准的请求',
  'home.approvals.none': '没有等你批准的请求。',
  'home.matrix': '各环境运行的版本',
  'home.matrix.none': '还没有配置任何应用。',
  'home.badge.locked': ':lock: 已锁定',
  'home.badge.frozen': ':snowflake: 冻结中',
  'home.badge.held': ':double_vertical_bar: 暂停自动部署',
  'home.lag': ':arrow_up: {env} 已是 {version}',
  'home.updated': '更新于 {time}',
  'home.dashboard': '打开仪表盘',
  'home.more': '还有 {count} 项未能显示。',
  'home.more.dashboard': '在仪表盘查看更多',
  'home.more.chat': '在聊天中用 /status 和 /approve 查看。',
};
