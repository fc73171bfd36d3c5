"""Picture captchas drawn by the service; each answer is good for one try only."""

import io
import random
import secrets
from datetime import timedelta
from pathlib import Path

from beanie import PydanticObjectId
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from starlette.concurrency import run_in_threadpool

from app.accounts.models import Captcha
from app.accounts.secrets import digest
from app.clock import utcnow
from app.config import get_settings
from app.errors import ValidationFailed

ALPHABET = "ACDEFHJKLMNPRTUVWXY34679"   # no look-alikes (0/O, 1/I, 2/Z, 5/S, 8/B)
LENGTH = 4
_FONT_CANDIDATES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
                    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


def _font(size: int) -> ImageFont.ImageFont:
    for candidate in _FONT_CANDIDATES:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size)


def draw(text: str) -> bytes:
    rng = random.Random(secrets.randbits(64))
    width, height = 132, 44
    image = Image.new("RGB", (width, height), (rng.randint(235, 255),) * 3)
    canvas = ImageDraw.Draw(image)
    for _ in range(5):
        canvas.line([(rng.randint(0, width), rng.randint(0, height)) for _ in range(2)],
                    fill=tuple(rng.randint(120, 200) for _ in range(3)), width=1)
    font = _font(28)
    for index, char in enumerate(text):
        glyph = Image.new("RGBA", (36, 40), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((4, 2), char, font=font, fill=tuple(rng.randint(10, 110) for _ in range(3)))
        glyph = glyph.rotate(rng.randint(-25, 25), resample=Image.BICUBIC, expand=False)
        image.paste(glyph, (6 + index * 30 + rng.randint(-3, 3), rng.randint(0, 4)), glyph)
    for _ in range(120):
        canvas.point((rng.randint(0, width - 1), rng.randint(0, height - 1)),
                     fill=tuple(rng.randint(0, 255) for _ in range(3)))
    image = image.filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def issue(purpose: str) -> tuple[PydanticObjectId, str, bytes]:
    """Returns (id, answer, png). The answer leaves the service only as the picture, drawn in a worker thread:
    an anonymous endpoint must not hold the event loop for Pillow."""
    answer = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    captcha = Captcha(answer_hash=digest(answer), purpose=purpose,
                      expires_at=utcnow() + timedelta(seconds=get_settings().captcha_ttl_seconds))
    await captcha.insert()
    return captcha.id, answer, await run_in_threadpool(draw, answer)


async def verify(captcha_id: str | None, answer: str | None, *, purpose: str) -> None:
    """Consumes the captcha whatever the answer: a wrong guess needs a new picture."""
    if not captcha_id or not answer:
        raise ValidationFailed("请输入图片验证码", field="captcha", code="captcha_required")
    try:
        oid = PydanticObjectId(captcha_id)
    except Exception:
        raise ValidationFailed("图片验证码已失效，请刷新", field="captcha", code="captcha_invalid") from None
    collection = Captcha.get_pymongo_collection()
    stored = await collection.find_one_and_delete({"_id": oid, "purpose": purpose})
    if stored is None or stored["expires_at"] < utcnow():
        raise ValidationFailed("图片验证码已失效，请刷新", field="captcha", code="captcha_invalid")
    if stored["answer_hash"] != digest(answer.strip().upper()):
        raise ValidationFailed("图片验证码不正确，请重新输入", field="captcha", code="captcha_wrong")
