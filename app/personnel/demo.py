"""Demo personnel for a fresh start: staff at the demo 事业单位, its approved posts for this year and the
last, and some appointments (made through the service, so the ledger is in step). Runs once per unit."""

from datetime import date

from app.accounts import validators
from app.accounts.models import User
from app.clock import CHINA, utcnow
from app.personnel import service
from app.personnel.enums import PostLevel
from app.personnel.models import PersonnelRecord, TitleHeld
from app.personnel.schemas import AppointIn, QuotaIn
from app.units.models import Unit

# (surname+name, title level code, title name, appointed level or None)
STAFF = [("周文博", "5", "研究馆员", PostLevel.full_senior), ("吴雅静", "4", "副研究馆员", PostLevel.deputy_senior),
         ("郑海涛", "4", "副研究馆员", PostLevel.deputy_senior), ("王晓燕", "4", "副研究馆员", None),
         ("冯立新", "3", "馆员", PostLevel.intermediate), ("陈思雨", "3", "馆员", PostLevel.intermediate),
         ("褚建国", "3", "馆员", PostLevel.intermediate), ("卫明月", "3", "馆员", None),
         ("蒋春华", "3", "馆员", PostLevel.intermediate), ("沈一鸣", "2", "助理馆员", PostLevel.junior),
         ("韩雪梅", "2", "助理馆员", PostLevel.junior), ("杨子轩", "2", "助理馆员", PostLevel.junior),
         ("朱晨曦", "2", "助理馆员", None), ("秦书瑶", "1", "管理员", PostLevel.junior)]


def _id_number(i: int) -> str:
    first17 = f"3701021{975 + i:03d}0{(i % 9) + 1}1{i % 10}01{i % 10}"[:17]
    return first17 + validators.resident_id_check_char(first17)


async def seed(*, unit_login: str, supervisor_login: str) -> None:
    unit_account = await User.find_one({"login_key": unit_login})
    supervisor = await User.find_one({"login_key": supervisor_login})
    if unit_account is None or supervisor is None or unit_account.unit_id is None:
        return
    unit = await Unit.get(unit_account.unit_id)
    if unit is None or await PersonnelRecord.find_one({"unit_id": unit.id}):
        return
    year = utcnow().astimezone(CHINA).year
    for y in (year - 1, year):
        await service.set_quota(actor=supervisor, unit=unit, year=y, data=QuotaIn(ratio=[2, 4, 4], total=len(STAFF)))
    for i, (name, level, title, post) in enumerate(STAFF):
        number = _id_number(i)
        record = PersonnelRecord(unit_id=unit.id, name=name, id_number=number, department="业务部", education="大学本科",
                                 post="专业技术岗", joined_on=date(2010 + i % 10, 7, 1),
                                 titles=[TitleHeld(series="qzwh", level=level, title_name=title,
                                                   obtained_on=date(2012 + i % 10, 12, 1), issuing_body="济南市人社局")],
                                 title_level=service.LEVEL_OF_TITLE[level], **service._identity(number))
        await record.insert()
        if post is not None:
            await service.appoint(actor=unit_account, record=record,
                                  data=AppointIn(level=post, starts_on=date(year - 1, 1, 1),
                                                 document_number=f"济群艺〔{year - 1}〕{i + 1}号"))
