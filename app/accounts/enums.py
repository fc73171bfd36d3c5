from enum import StrEnum


class IdType(StrEnum):
    resident = "resident"          # 居民身份证
    passport = "passport"          # 护照
    hk_macau = "hk_macau"          # 港澳居民来往内地通行证
    taiwan = "taiwan"              # 台湾居民来往大陆通行证
    foreign_permit = "foreign_permit"  # 外国人永久居留身份证


ID_TYPE_LABELS = {
    IdType.resident: "居民身份证", IdType.passport: "护照", IdType.hk_macau: "港澳居民来往内地通行证",
    IdType.taiwan: "台湾居民来往大陆通行证", IdType.foreign_permit: "外国人永久居留身份证",
}


class AccountKind(StrEnum):
    person = "person"   # self-registered professional
    unit = "unit"       # the account a unit registers (or is given) to administer itself
    sub = "sub"         # a sub-account (工作账号) a unit creates for its staff or applicants


class Role(StrEnum):
    applicant = "applicant"
    unit_admin = "unit_admin"
    unit_handler = "unit_handler"
    dept_handler = "dept_handler"
    hr_handler = "hr_handler"
    committee_senior = "committee_senior"
    committee_intermediate = "committee_intermediate"
    committee_junior = "committee_junior"
    expert = "expert"
    archivist = "archivist"
    sysadmin = "sysadmin"


ROLE_LABELS = {
    Role.applicant: "申报人", Role.unit_admin: "单位管理员", Role.unit_handler: "单位经办人",
    Role.dept_handler: "主管部门经办人", Role.hr_handler: "人社局经办人", Role.committee_senior: "高评办经办人",
    Role.committee_intermediate: "中评办经办人", Role.committee_junior: "初评办经办人",
    Role.expert: "评审专家", Role.archivist: "档案管理员", Role.sysadmin: "系统管理员",
}

# The roles that run a committee's office (资格审查, 评审会, 评审结果, 证书).
COMMITTEE_ROLES = (Role.committee_intermediate, Role.committee_junior, Role.committee_senior)
# The roles that act for a unit along a path (数据审核, 数据上报, 路径, 公示): the state machine's nodes. A user
# holding several of them at one unit acts in the first.
NODE_ROLES = (Role.unit_handler, Role.dept_handler, Role.hr_handler, Role.unit_admin)
# The roles whose holders read their unit and everything below it. A committee office is not among them: it
# sees its own office unit only, and reads the dossiers reported to its committee (dossiers.scope).
UNIT_READER_ROLES = NODE_ROLES + (Role.archivist,)
# The roles that export archive packages and see ID numbers in full.
ARCHIVE_ROLES = (Role.archivist, Role.sysadmin)
# The role that runs a committee's office, by the committee's tier.
TIER_ROLE = {"senior": Role.committee_senior, "intermediate": Role.committee_intermediate,
             "junior": Role.committee_junior}


class AuditKind(StrEnum):
    register = "register"
    unit_register = "unit_register"
    unit_create = "unit_create"
    login = "login"
    login_failed = "login_failed"
    locked = "locked"
    unlocked = "unlocked"
    logout = "logout"
    password_changed = "password_changed"
    password_reset = "password_reset"
    recovery_code_sent = "recovery_code_sent"
    recovery_code_refused = "recovery_code_refused"     # unknown account, no contact or over its cap: nothing sent
    login_name_sent = "login_name_sent"
    login_name_refused = "login_name_refused"
    staff_invited = "staff_invited"
    invitation_accepted = "invitation_accepted"
    invitation_declined = "invitation_declined"
    invitation_cancelled = "invitation_cancelled"
    role_granted = "role_granted"
    role_revoked = "role_revoked"
    account_created = "account_created"
    account_enabled = "account_enabled"
    account_disabled = "account_disabled"
    account_deleted = "account_deleted"
    permission_applied = "permission_applied"
    permission_decided = "permission_decided"
    unit_updated = "unit_updated"
    expert_viewed = "expert_viewed"            # an expert library record opened (app.experts)
    expert_changed = "expert_changed"          # created, edited, imported or its commitment recorded


AUDIT_KIND_LABELS = {
    AuditKind.register: "个人注册", AuditKind.unit_register: "单位注册", AuditKind.unit_create: "新建单位",
    AuditKind.login: "登录", AuditKind.login_failed: "登录失败", AuditKind.locked: "账号锁定",
    AuditKind.unlocked: "解除锁定", AuditKind.logout: "退出登录", AuditKind.password_changed: "修改密码",
    AuditKind.password_reset: "重置密码", AuditKind.recovery_code_sent: "发送找回密码验证码",
    AuditKind.recovery_code_refused: "拒绝发送找回密码验证码", AuditKind.login_name_sent: "发送登录名",
    AuditKind.login_name_refused: "拒绝发送登录名", AuditKind.staff_invited: "邀请工作人员",
    AuditKind.invitation_accepted: "接受邀请", AuditKind.invitation_declined: "拒绝邀请",
    AuditKind.invitation_cancelled: "撤销邀请", AuditKind.role_granted: "授予角色", AuditKind.role_revoked: "撤销角色",
    AuditKind.account_created: "新建账号", AuditKind.account_enabled: "启用账号", AuditKind.account_disabled: "停用账号",
    AuditKind.account_deleted: "删除账号", AuditKind.permission_applied: "提交权限申请",
    AuditKind.permission_decided: "审核权限申请", AuditKind.unit_updated: "修改单位信息",
    AuditKind.expert_viewed: "查看专家信息", AuditKind.expert_changed: "修改专家信息",
}
