import type { bundlesEn } from './bundles-en.js';

/** 批量发布（多个应用一起发布）的用语；与 bundles-en.ts 的键相同。 */
export const bundlesZhCN: Record<keyof typeof bundlesEn, string> = {
  'bundle.done': '{action, select, rollback {已将批次 {name} 在 {env} 回滚} other {已将批次 {name} 发布到 {env}}}：一个提交 {commit}',
  'bundle.app': '{app} {version}{was}',
  'bundle.requested':
    '已发起审批 {id}：{action, select, rollback {回滚批次 {name}（{env}）} other {将批次 {name} 发布到 {env}}}，需要 {approvers} 中的 {required} 人在 {within} 内批准。一次审批覆盖所有应用：',
  'bundle.approval-app': '{app} {to}{now}',
  'bundle.card.title': '审批 {id}：{action, select, rollback {回滚} other {发布}}批次 {name}（{env}）',
  'bundle.card.apps': '应用',
  'event.bundle.deploy-failed': '❌ 批次 {name}（{apps}）到 {env} 的{action, select, rollback {回滚} other {发布}}失败：{message}',
  'event.bundle.approval':
    '审批 {id}（{action, select, rollback {回滚} other {发布}}批次 {name}：{apps} 到 {env}）：{state, select, requested {已发起} approved {已批准} denied {已拒绝} other {已过期}}',

  'error.bundle.name': '批次名“{name}”无效：只能包含字母、数字、点、短横线和下划线，以字母或数字开头，最多 63 个字符',
  'error.bundle.empty': '批次 {name} 没有任何应用：请给出 应用=版本',
  'error.bundle.pair': '“{pair}”不是 应用=版本 的形式',
  'error.bundle.duplicate-app': '批次 {name} 中 {app} 出现了两次；每个应用在批次中只能有一个版本',
  'error.bundle.not-built': '批次 {name}：{list} 不是已构建的版本（共 {count} 个）；只有已构建的版本才能加入批次',
  'error.bundle.taken': '批次 {name} 已以其他版本登记（{contents}）；批次登记后不可更改',
  'error.bundle.unknown': '没有名为 {name} 的批次',
  'error.bundle.refused': '{action, select, rollback {批次 {name} 在 {env} 的回滚} other {批次 {name} 发布到 {env}}}被整体拒绝，没有写入任何内容：\n{reasons}',
  'error.bundle.reason': '  - {apps}：{why}',
  'error.bundle.and': '{first}\n{next}',
  'error.bundle.nothing': '批次 {name} 的每个应用在 {env} 已经运行其版本',
  'error.bundle.never-promoted': '批次 {name} 从未发布到 {env}：没有可回滚的内容',
  'error.bundle.moved': '{app} 在 {env} 现在运行 {now}，不是批次发布的 {version}',
  'error.bundle.no-previous': '批次发布 {app} 之前 {env} 没有运行任何版本',
  'error.bundle.pull-request': '{env} 通过拉取请求部署（mode: pull-request）；批次直接提交，暂不支持该模式',
  'error.bundle.args': '请指定批次和环境：/promote bundle <名称> <环境>，或 /promote --from <环境> <环境>',
  'error.bundle.from-same': '--from {env} {env}：请从一个环境发布到另一个环境',
  'error.bundle.from-nothing': '两个环境中的应用在 {from} 和 {env} 运行的版本相同：没有需要发布的内容',
  'error.guard.bundle-approval': '审批单 {id} 属于批次 {name}：只有批次任务可以使用',
  'error.guard.bundle-app': '批次 {name} 包含 {app}，但配置中它没有部署到 {env}',
};
