"""The personnel domain's refusals, each with one code and one message."""

from app.errors import Conflict, NotFound


class RecordNotFound(NotFound):
    code = "record_not_found"
    message = "人员信息不存在"


class RecordExists(Conflict):
    code = "record_exists"
    message = "该身份证号的人员已在本单位人员信息中"


class NotInPost(Conflict):
    code = "not_in_post"
    message = "该人员已不在岗，不能聘任"


class AboveTitle(Conflict):
    code = "above_title"


class OverQuota(Conflict):
    code = "over_quota"


class NoAppointment(Conflict):
    code = "no_appointment"
    message = "该人员当前没有聘任"
