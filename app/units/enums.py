from enum import StrEnum

from app.accounts.enums import COMMITTEE_ROLES, Role


class UnitCategory(StrEnum):
    """Unit categories by tier (001 §3.1.1.1), plus the HR bureaus that run each tier."""
    province_hr_bureau = "province_hr_bureau"
    city_hr_bureau = "city_hr_bureau"
    city_department = "city_department"
    city_affiliated = "city_affiliated"
    city_state_enterprise = "city_state_enterprise"
    city_private_enterprise = "city_private_enterprise"
    county_hr_bureau = "county_hr_bureau"
    county_department = "county_department"
    county_affiliated = "county_affiliated"
    county_state_enterprise = "county_state_enterprise"
    county_private_enterprise = "county_private_enterprise"


UNIT_CATEGORY_LABELS = {
    UnitCategory.province_hr_bureau: "省人社厅", UnitCategory.city_hr_bureau: "市(州)人社局",
    UnitCategory.city_department: "市(州)部门单位", UnitCategory.city_affiliated: "市(州)部门所属单位",
    UnitCategory.city_state_enterprise: "市(州)国营企业", UnitCategory.city_private_enterprise: "市(州)私营企业",
    UnitCategory.county_hr_bureau: "县(区)人社局", UnitCategory.county_department: "县(区)部门单位",
    UnitCategory.county_affiliated: "县(区)部门所属单位", UnitCategory.county_state_enterprise: "县(区)国营企业",
    UnitCategory.county_private_enterprise: "县(区)私营企业",
}

HR_BUREAU_CATEGORIES = frozenset({UnitCategory.province_hr_bureau, UnitCategory.city_hr_bureau,
                                  UnitCategory.county_hr_bureau})
DEPARTMENT_CATEGORIES = frozenset({UnitCategory.city_department, UnitCategory.county_department})

# Who creates whom top-down (001 §3.1.1.1: each tier's handlers create the tier below).
CREATABLE_CHILDREN: dict[UnitCategory, frozenset[UnitCategory]] = {
    UnitCategory.province_hr_bureau: frozenset({UnitCategory.city_hr_bureau}),
    UnitCategory.city_hr_bureau: frozenset({UnitCategory.city_department, UnitCategory.county_hr_bureau,
                                            UnitCategory.city_private_enterprise}),
    UnitCategory.city_department: frozenset({UnitCategory.city_affiliated, UnitCategory.city_state_enterprise,
                                             UnitCategory.city_private_enterprise}),
    UnitCategory.county_hr_bureau: frozenset({UnitCategory.county_department,
                                              UnitCategory.county_private_enterprise}),
    UnitCategory.county_department: frozenset({UnitCategory.county_affiliated,
                                               UnitCategory.county_state_enterprise,
                                               UnitCategory.county_private_enterprise}),
}

# Categories a unit may choose when it registers itself: never an HR bureau.
SELF_REGISTRABLE = frozenset(UnitCategory) - HR_BUREAU_CATEGORIES

# The handler role a unit's staff act in, by the unit's category (001 §3.1.2.2).
HANDLER_ROLE_BY_CATEGORY: dict[UnitCategory, Role] = {
    **{c: Role.hr_handler for c in HR_BUREAU_CATEGORIES},
    **{c: Role.dept_handler for c in DEPARTMENT_CATEGORIES},
}


def handler_role_for(category: UnitCategory) -> Role:
    return HANDLER_ROLE_BY_CATEGORY.get(category, Role.unit_handler)


# Roles a unit administrator may grant its staff: its handler role, committee-office roles
# (any unit may host a committee), expert and archivist.
def grantable_roles(category: UnitCategory) -> frozenset[Role]:
    return frozenset({handler_role_for(category), Role.unit_handler, Role.applicant, Role.expert,
                      Role.archivist, *COMMITTEE_ROLES})


class UnitStatus(StrEnum):
    registered = "registered"   # 已注册，未申请权限
    pending = "pending"         # 权限申请待审核
    approved = "approved"       # 已开通
    rejected = "rejected"       # 审核不通过，可修改后重新申请


UNIT_STATUS_LABELS = {UnitStatus.registered: "已注册未申请", UnitStatus.pending: "待审核",
                      UnitStatus.approved: "已开通", UnitStatus.rejected: "审核不通过"}


class ApplicationStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
