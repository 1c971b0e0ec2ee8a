import type { bluegreenEn } from './bluegreen-en.js';

/** bluegreen-en.ts in Simplified Chinese: the same keys (the compiler checks). */
export const bluegreenZhCN: Record<keyof typeof bluegreenEn, string> = {
  'help.shift': '把蓝绿部署应用的一部分流量切到新颜色，例如 /shift prod 10%',
  'help.switch': '把蓝绿部署应用的全部流量切到新颜色（等同于 /shift <env> 100%）',
  'bluegreen.name': '{colour, select, blue {蓝} other {绿}}',
  'bluegreen.colour': '{name} {version} {weight}%{role, select, live {（在线）} fresh {（新）} other {}}',
  'bluegreen.promoted': '已写入空闲颜色 {colour}；流量不变，{live} 仍在线：/shift {env} 10% 或 /switch {env} 切换流量',
  'bluegreen.shifted': '{colour}现在承接 {weight}% 的流量{complete, select, yes {：已上线} other {}}',
  'bluegreen.back': '全部流量已切回{colour}；镜像未改动',
  'bluegreen.colours': '颜色：{colours}',
  'error.bluegreen.shifting':
    '{app} 正在 {env} 切换流量（蓝 {blue}%，绿 {green}%）：请先用 /switch {env} 完成或用 /rollback {env} 切回，再发布',
  'error.bluegreen.no-live': '{app} 在 {env} 的流量文件没有把流量单独发给任一颜色（蓝 {blue}%，绿 {green}%）；请在部署仓库中修正',
  'error.bluegreen.idle-has': '{app} {version} 已在 {env} 的空闲颜色（{colour}）上：/shift {env} 10% 或 /switch {env} 把流量切过去',
  'error.bluegreen.nothing-back': '没有可切回的流量：{app} 在 {env} 的流量已全部在旧颜色（{old}）上',
  'error.bluegreen.no-version': '{app} 在 {env} 的{colour}颜色没有带标签的镜像',
  'error.bluegreen.nothing-to-shift': '{app} 在 {env} 的新颜色（{fresh}，{version}）已承接 {to}% 的流量：无需切换',
  'error.bluegreen.switch-only': '{file}（{format}）只能一次切换全部流量：请用 /switch {env}（或 /shift {env} 100%），不能是 {to}%',
  'error.bluegreen.moved-on': '{app} 在 {env} 的该颜色现在运行 {version}，而不是申请时的 {asked}：请重新申请',
  'error.bluegreen.not-live': '{app} {version} 在 {env} 尚未上线且健康（{state}）：等 Argo CD 或 Flux 确认后才能切流量',
  'error.bluegreen.needs-approval': '{app} 在 {env} 的这次流量切换需要 {required} 人审批（approvals.shift）：请用 /shift 或 /switch 重新申请',
  'error.bluegreen.not-bluegreen': '{app} 在 {env} 不是蓝绿部署（apps.{app}.deploy.{env} 中没有 strategy: blueGreen）：只有那里可以切流量',
  'error.bluegreen.rollback-version': '{app} 在 {env} 是蓝绿部署：/rollback {env} 把流量切回旧颜色；要运行 {version}，请把它 /promote 到空闲颜色',
  'error.shift.weight': '最后一个词是新颜色的流量比例，从 1% 到 100%，例如 10%（不是“{word}”）',
  'error.shift.missing': '请指定环境和流量比例，例如 /shift prod 10%',
  'error.switch.missing': '请指定环境，例如 /switch prod',
  'error.guard.weight-not-shift': '{action} 任务带有流量权重：只有流量切换任务才有',
  'error.guard.shift-no-weight': '流量切换任务没有指定权重',
};
