from enum import StrEnum


class PostLevel(StrEnum):
    """The four professional-technical post levels a unit appoints to."""
    full_senior = "full_senior"
    deputy_senior = "deputy_senior"
    intermediate = "intermediate"
    junior = "junior"


POST_LEVEL_LABELS = {PostLevel.full_senior: "正高级", PostLevel.deputy_senior: "副高级",
                     PostLevel.intermediate: "中级", PostLevel.junior: "初级"}
# Highest first, as the pages and the ratio 高:中:初 read.
POST_LEVELS = (PostLevel.full_senior, PostLevel.deputy_senior, PostLevel.intermediate, PostLevel.junior)
RANK = {PostLevel.junior: 1, PostLevel.intermediate: 2, PostLevel.deputy_senior: 3, PostLevel.full_senior: 4}
# 专业技术岗位的等级 (1–13): 正高 1–4, 副高 5–7, 中级 8–10, 初级 11–13, for units that use grades.
GRADES = {PostLevel.full_senior: range(1, 5), PostLevel.deputy_senior: range(5, 8),
          PostLevel.intermediate: range(8, 11), PostLevel.junior: range(11, 14)}
# The levels dictionary's codes (员级, 助理级, 中级, 副高级, 正高级) as post levels.
LEVEL_OF_TITLE = {"1": PostLevel.junior, "2": PostLevel.junior, "3": PostLevel.intermediate,
                  "4": PostLevel.deputy_senior, "5": PostLevel.full_senior}


class RecordStatus(StrEnum):
    in_post = "in_post"
    left = "left"
    retired = "retired"


RECORD_STATUS_LABELS = {RecordStatus.in_post: "在岗", RecordStatus.left: "离职", RecordStatus.retired: "退休"}
# The nature code of 事业单位 in the unit_natures dictionary: the units a batch's vacant-post rule applies to.
PUBLIC_INSTITUTION = "02"
