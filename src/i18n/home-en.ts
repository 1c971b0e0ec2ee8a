/** The words of the Slack App Home (issue 14), in English; home-zh-cn.ts holds the same keys. */
export const homeEn = {
  'home.approvals': 'Waiting for your approval',
  'home.approvals.none': 'Nothing waits for your approval.',
  'home.matrix': 'What runs where',
  'home.matrix.none': 'No app is configured yet.',
  'home.badge.locked': ':lock: locked',
  'home.badge.frozen': ':snowflake: frozen',
  'home.badge.held': ':double_vertical_bar: on hold',
  'home.lag': ':arrow_up: {env} has {version}',
  'home.updated': 'Updated {time}',
  'home.dashboard': 'Open the dashboard',
  'home.more': '{count, plural, one {# more item does} other {# more items do}} not fit here.',
  'home.more.dashboard': 'More on the dashboard',
  'home.more.chat': 'See them with /status and /approve in chat.',
} as const satisfies Record<string, string>;
