import type { errorsEn } from './errors-en.js';

/** The refusals of errors-en.ts in Simplified Chinese: the same keys (the compiler checks). */
export const errorsZhCN: Record<keyof typeof errorsEn, string> = {
  // ── the grammar of a command line ──────────────────────────────────────────────
  'error.grammar.unclosed-quote': '引号没有闭合',
  'error.grammar.too-long': '命令太长（{length} 个字符；最多 {max} 个）',
  'error.grammar.control-characters': '命令中含有控制字符',
  'error.grammar.empty': '请输入命令，例如 {example}；/help 列出全部命令',
  'error.grammar.unknown-command': '未知命令“{command}”；可用命令：{known}',
  'error.grammar.force-elsewhere': '--force 只能用于 /promote、/rollback、/shift 和 /switch',
  'error.grammar.force-reason': '--force 后面需要一个加引号的原因',
  'error.grammar.unknown-option': '未知选项 {option}',

  // ── a command's words ──────────────────────────────────────────────────────────
  'error.usage.too-many-arguments': '参数太多',
  'error.usage.unexpected': '参数太多：多出了 {word}',
  'error.usage.after-env': '环境 {env} 后面多出了 {word}',
  'error.usage.no-env': '请指定环境',
  'error.usage.app-first': '应用要写在环境前面：{suggestion}',
  'error.usage.no-version': '请指定版本',
  'error.promote.missing': '请指定版本和环境',
  'error.promote.no-version': '请指定要发布到 {env} 的版本',
  'error.promote.no-env': '请指定要把 {version} 发布到哪个环境（可用环境：{envs}）',
  'error.promote.version-first': '版本要写在环境前面：{suggestion}',
  'error.promote.after-env': '环境 {env} 后面多出了“{words}”（原因请写在 --force "…" 里）',
  'error.promote.too-many': '参数太多：“{words}”超出了 [app] <version> <env>',
  'error.rollback.no-env': '请指定要回滚的环境',
  'error.approval.no-id': '请指定审批单编号',
  'error.approval.bad-id': '“{id}”不是审批单编号（应为数字）',
  'error.history.count-range': 'n 必须在 1 到 100 之间',
  'error.history.not-count': '{word} 不是条数（n 必须在 1 到 100 之间）',
  'error.releases.env-given': '{word} 是环境；/releases 列出的是某个应用的版本（可用应用：{apps}）',
  'error.diff.two-envs': '请指定两个环境',
  'error.diff.after-envs': '环境 {envA} 和 {envB} 后面多出了 {word}',
  'error.help.unknown-command': '未知命令“{command}”',
  'error.reason.empty': '原因不能为空',
  'error.reason.too-long': '原因太长（{length} 个字符；最多 {max} 个）',

  // ── names of apps and environments ─────────────────────────────────────────────
  'error.input.env-name': '“{name}”不是合法的环境名',
  'error.input.app-name': '“{name}”不是合法的应用名',
  'error.app.unknown': '未知应用“{app}”（已配置：{known}）',
  'error.app.which': '要操作哪个应用？请指定（可用应用：{apps}）',
  'error.env.unknown': '未知环境“{env}”（已配置：{known}）',
  'error.env.not-deployed': '{app} 没有部署到 {env}（配置中没有 apps.{app}.deploy.{env}）',

  // ── policy: rights, blocks, locks, freezes ─────────────────────────────────────
  'error.policy.not-allowed':
    '{who} 无权{perm, select, promote {发布到 {env}} rollback {回滚 {env}} lock {锁定或解锁 {env}} breakGlass {在 {env} 使用 --force（紧急越权）} shift {在 {env} 切换流量} other {封禁或解封版本}}（{allowed}）',
  'error.policy.allowed': '有权限的人：{list}',
  'error.policy.nobody': '没有人有此权限',
  'error.policy.blocked':
    '{version} 已被 {by} 封禁（{reason}）；请先 /unblock，或换一个版本{rollback, select, yes {，或由有紧急越权权限的人使用 --force "原因"} other {}}',
  'error.policy.locked':
    '{env} 已被 {by} 锁定（自 {since} 起）：{reason}。请先 /unlock {env}，或由有紧急越权权限的人使用 --force "原因"',
  'error.policy.frozen': '{env} 处于冻结期（{reason}），直到 {until}；使用 --force "原因" 需要紧急越权权限',
  'error.lock.already': '{env} 已被 {by} 锁定（自 {since} 起）：{reason}',

  // ── freeze windows ─────────────────────────────────────────────────────────────
  'error.freeze.cron-fields': 'cron 表达式 {expr} 有 {count} 个字段；应为 5 个：分 时 日 月 星期',
  'error.freeze.cron-h': 'cron 表达式 {expr} 使用了 H；冻结窗口需要固定时间',
  'error.freeze.cron-invalid': 'cron 表达式 {expr} 无效：{error}',
  'error.freeze.in': '冻结窗口“{reason}”：{detail}',
  'error.freeze.time-zone': '未知时区“{zone}”',
  'error.freeze.no-fire-time': '无法计算“{cron}”在 {zone} 时区 {after} 之后的触发时间：{error}',
  'error.freeze.walk': '{steps} 步内没有找到触发时间',

  // ── versions and durations ─────────────────────────────────────────────────────
  'error.version.empty': '版本不能为空',
  'error.version.too-long': '版本 {version} 太长（{length} 个字符，最多 {max} 个）',
  'error.version.bad-char': '版本 {version} 含有 {char}：只允许字母、数字和 . _ + -',
  'error.version.start': '版本 {version} 必须以字母或数字开头',
  'error.version.dots': '版本 {version} 不能包含“..”',
  'error.version.none-built': '没有与 {query} 匹配的已构建版本（还没有构建过任何版本）',
  'error.version.no-match': '没有与 {query} 匹配的已构建版本（最新的：{newest}）',
  'error.version.only-pre': '没有与 {query} 匹配的正式版本；预发布版本必须写出完整版本号（最新的：{newest}）',
  'error.duration.invalid': '时长 {text} 无效：请用数字加单位 ms、s、m、h 或 d，例如 30m、1h 或 2d12h',
  'error.duration.too-long': '时长 {text} 太长（最多 3650d）',

  // ── image references ───────────────────────────────────────────────────────────
  'error.image.not-ref': '“{ref}”不是合法的镜像引用：{problem}',
  'error.image.not-repository': '“{repository}”不是合法的镜像仓库：{problem}',
  'error.image.not-tag': '“{tag}”不是合法的镜像标签',
  'error.image.not-digest': '“{digest}”不是合法的镜像摘要（应为 sha256:<64 位十六进制>）',
  'error.image.empty': '内容为空',
  'error.image.too-long': '长度超过 1024 个字符',
  'error.image.whitespace': '含有空白或控制字符',
  'error.image.bad-digest': '“{digest}”不是合法的摘要',
  'error.image.bad-tag': '“{tag}”不是合法的标签',
  'error.image.empty-repository': '仓库名为空',
  'error.image.bad-host': '“{host}”不是合法的镜像仓库地址',
  'error.image.bad-part': '“{part}”不是合法的仓库路径（只允许小写字母、数字和 . _ -）',

  // ── releases and the deploy itself ─────────────────────────────────────────────
  'error.release.not-built': '{app} {version} 不是已构建的版本',
  'error.release.not-built-hint': '{app} {version} 不是已构建的版本（/releases {app} 可列出全部版本）',
  'error.release.no-image': '{app} {version} 没有镜像“{image}”',
  'error.release.no-digest': '{env} 要求固定镜像摘要，但 {app} {version} 的镜像 {image} 没有摘要',
  'error.deploy.pr-no-access':
    '{env} 通过拉取请求部署，但 gantry 没有创建拉取请求所需的 GitHub 权限：请设置 GANTRY_DEPLOY_TOKEN 和 deployRepo.github',
  'error.deploy.repo-moving': '部署仓库一直有新提交：推送 {pushes} 次后放弃；没有做任何修改',
  'error.deploy.order': '{app} {version} 还没有在 {from} 运行过；请先发布到 {from}',
  'error.deploy.held': '{who} 把 {app} 回滚到 {version} 之后，{env} 已暂停自动部署；手动发布一次后恢复',
  'error.deploy.already': '{app} {version} 已经在 {env} 运行',
  'error.deploy.no-changes': '{app} {version} 已经在 {env} 运行：清单文件没有变化',
  'error.rollback.nothing-before': '没有可回滚的版本：{app} 在 {env} 的历史中，{current}之前没有别的版本',
  'error.rollback.what-runs-now': '当前运行的版本',
  'error.rollback.never-ran':
    '{app} {version} 从未在 {env} 运行过（根据其文件的历史），所以无法回滚到它；没有在该环境运行过的版本请用 /promote {app} {version} {env}',
  'error.rollback.untagged': '无法回滚 {file}：{version} 运行时，镜像 {image} 没有带标签的引用',
  'error.rollback.that-version': '该版本',

  // ── manifests in the deploy repo ───────────────────────────────────────────────
  'error.manifest.at': '{file} 第 {line} 行：{detail}',
  'error.manifest.in': '{file}：{detail}',
  'error.manifest.no-file': '{file}：部署仓库中没有这个文件（分支 {branch}）',
  'error.manifest.one-container':
    'container: {container} 只指向一个{what}，但这个文件对应镜像 {images}；请在 images: 下只列一个镜像',
  'error.manifest.image-not-found': '在 {file} 中没有找到镜像 {image}（{repository}）',
  'error.manifest.cannot-set': '无法修改 {image}：{why}',
  'error.manifest.invalid-ref': '“{ref}”不是合法的镜像引用',
  'error.manifest.overlap': '两处修改会改到同一段文本（{error}）',
  'error.manifest.would-not-parse': '修改后的文件无法解析（{error}）；没有写入任何内容',
  'error.manifest.count-changed': '修改后 {image} 出现了 {got} 次，而不是 {want} 次；没有写入任何内容',
  'error.manifest.reads-otherwise': '修改后 {image} 为“{got}”，而不是“{want}”；没有写入任何内容',
  'error.target.bad-repository': '目标 {image}：“{repository}”不是合法的镜像仓库',
  'error.target.bad-tag': '目标 {image}：“{tag}”不是合法的镜像标签',
  'error.target.bad-digest': '目标 {image}：“{digest}”不是合法的镜像摘要',
  'error.target.pin-needs-digest': '目标 {image}：固定版本需要镜像摘要',

  // ── traffic files of a blue-green app (src/gitops/traffic/) ───────────────────────
  'error.traffic.no-resource': '这里没有{name, select, none {} other {名为 {name} 的}} {kind}',
  'error.traffic.no-route': '这个 {kind} 中没有任何 {where} 指向 {blue} 或 {green}',
  'error.traffic.no-selector': '这里没有按 {key} 选择 Pod 的 Service',
  'error.traffic.colour-missing': '这个 {where} 指向 {present}，但没有指向 {missing}：必须同时写明两种颜色',
  'error.traffic.other-backend': '这个 {where} 还指向 {backend}：gantry 只在 {blue} 和 {green} 之间分配流量',
  'error.traffic.backend-twice': '这个 {where} 两次写到 {backend}',
  'error.traffic.weight-missing': '{backend} 没有 {key}：gantry 只修改它，不会添加它',
  'error.traffic.weight-blocked': '{backend} 的 {key} 无法安全修改：{why}',
  'error.traffic.weight-not-integer': '{backend} 的 {key} 为“{value}”，不是 0 到 100 之间的整数',
  'error.traffic.weights-sum': '{blue}（{blueWeight}）和 {green}（{greenWeight}）的权重之和为 {sum}，不是 100',
  'error.traffic.disagree':
    '这里把 {blueWeight}% 分给蓝色、{greenWeight}% 分给绿色，而第 {line} 行是 {blueThere}% 和 {greenThere}%：请改成一致',
  'error.traffic.both-selected': '这里选中 {value}，而第 {line} 行选中 {other}：两种颜色同时在线',
  'error.traffic.neither-colour': '{what} 为“{value}”，既不是蓝色（{blue}）也不是绿色（{green}）',
  'error.traffic.switch-only': '{format} 只能把全部流量切到一种颜色，不能分成蓝色 {blue}% 和绿色 {green}%',
  'error.traffic.canary-total': 'canary-weight-total 为“{total}”：gantry 按百分比写入，它必须是 100 或不写',
  'error.traffic.bad-weights': '流量权重必须是加起来为 100 的整数百分比，而不是蓝色 {blue}、绿色 {green}',

  // ── the deploy worker's check of a job ─────────────────────────────────────────
  'error.guard.refused': '部署任务 {job} 被拒绝：{why}',
  'error.guard.id-mismatch': '其请求编号 {id} 与任务编号不一致',
  'error.guard.unknown-app': '未知应用“{app}”',
  'error.guard.unknown-env': '未知环境“{env}”',
  'error.guard.not-deployed': '{app} 没有部署到 {env}',
  'error.guard.no-version': '{action, select, auto {自动部署} other {发布}}必须指定要部署的版本',
  'error.guard.needs-approval':
    '{action, select, rollback {回滚} auto {自动部署} shift {切换流量} other {发布}}到 {env} 需要 {required} 人审批，但任务中没有 gantry 记录过的审批单',
  'error.guard.approvers-unrecorded': '任务列出了审批人，但没有对应的审批记录',
  'error.guard.auto-requester': '自动部署应由 {expected} 发起，而不是 {got}',
  'error.guard.auto-approvers': '自动部署没有审批人',
  'error.guard.auto-force': '自动部署不能使用 --force',
  'error.guard.auto-approvals': '{env} 需要审批，因此不会自动部署',
  'error.guard.not-a-release': '部署任务 {job} 被拒绝：{app} {version} 不是 gantry 构建或登记过的版本',
  'error.guard.version-missing': '（未指定版本）',
  'error.guard.failure-not-auto': '只有 gantry 的自动回滚才针对部署失败',
  'error.guard.no-auto-rollback': '{env} 不会自动回滚（其 onFailure 不是 rollback）',
  'error.guard.auto-rollback-why': '自动回滚必须写明失败的部署和原因',
  'error.guard.other-deploy': '失败的部署 {deploy} 属于其他应用或环境',
  'error.guard.not-failed': '部署任务 {job} 被拒绝：{app} {version} 到 {env} 的部署没有失败，或已被更新的部署取代；无需回滚',
  'error.deploy.unverified':
    '{state, select, failed {{version} 在 {env} 验证失败：{message}{log}} verifying {{version} 仍在 {env} 验证中；请在验证结束后重试} other {{version} 尚未在 {env} 通过验证：需先在那里上线并通过检查（或运行 /verify {app} {env}）}}',
  'error.deploy.verify-log': '（日志：{url}）',
  'error.deploy.rollback-obsolete': '{app} 在 {env} 上运行的已不是 {version}（现在是 {current}）：无需自动回滚',
  'error.guard.no-approval': '没有审批单 {id}',
  'error.guard.other-request': '它不是审批单 {id} 所审批的那个请求',
  'error.guard.not-approved':
    '部署任务 {job} 被拒绝：审批单 {id} {status, select, pending {还在等待审批} denied {已被拒绝} expired {已过期} executed {已执行} failed {已失败} other {状态为 {status}}}，不是已批准',
  'error.guard.too-few-votes': '审批单 {id} 只有 {count} 个有效批准；需要 {need} 个',

  // ── approvals ──────────────────────────────────────────────────────────────────
  'error.approval.not-approver': '你不是 {env} 的审批人（审批人：{approvers}）',
  'error.approval.self': '审批单 {id} 是你自己（以 {as} 身份）发起的；需要其他人来批准',
  'error.approval.duplicate': '你已经批准过 {id}；还需要 {remaining} 人批准',
  'error.approval.unknown': '没有编号为 {id} 的审批单',
  'error.approval.pending': '审批单 {id} 已在申请同一操作；请 /approve {id} 或 /deny {id}',
  'error.approval.busy': '审批单 {id} 变动太频繁；请稍后重试',
  'error.approval.not-yet-approved': '审批单 {id} 还在等待审批，尚未批准',
  'error.approval.already':
    '审批单 {id} {status, select, approved {已批准} denied {已被拒绝} expired {已过期} executed {已执行} failed {已失败} other {状态已是 {status}}}',
  'error.approval.already-denied': '审批单 {id} 已被 {by} 拒绝',
  'error.approval.open-until': '审批单 {id} 在 {deadline} 之前仍可审批',
  'error.approval.expired': '审批单 {id} 已于 {deadline} 过期；请重新申请发布',
  'error.previews.none': '应用 {app} 没有配置预览环境（配置中的 apps.{app}.previews）',
};
