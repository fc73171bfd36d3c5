"""Through Debian's Chromium: a PDF previewed inline under the sandbox CSP still opens in the browser's viewer
(Chromium has refused plugins in sandboxed documents before, which would have broken every preview link)."""

from tests.files import samples
from tests.files.test_hostile import dossier, upload  # noqa: F401 - the fixture is shared
from tests.web.browser import BROWSER, chromium_page, shot, sign_in

pytestmark = BROWSER


async def test_inline_pdf_opens_in_the_viewer_under_the_sandbox(client, dossier, live):  # noqa: F811
    uploaded = await upload(client, dossier, samples.pdf(2), name="学历证书.pdf")
    assert uploaded.status_code == 201, uploaded.text
    url = f"{dossier['url']}/attachments/{uploaded.json()['id']}?inline=true"
    async with chromium_page(live, "failure-inline-pdf") as page:
        await sign_in(page, dossier["login"])
        response = await page.goto(url)
        assert response.status == 200
        headers = await response.all_headers()   # .headers would be Chromium's provisional set
        assert headers["content-security-policy"] == "sandbox; default-src 'none'; frame-ancestors 'self'"
        for _ in range(50):      # the built-in PDF viewer, not an error page, within 10 s
            if any(frame.url.startswith("chrome-extension://") for frame in page.frames):
                break
            await page.wait_for_timeout(200)
        await shot(page, "inline-pdf-sandboxed")
        assert any(frame.url.startswith("chrome-extension://") for frame in page.frames), [f.url for f in page.frames]
