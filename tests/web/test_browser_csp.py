"""The pages' Content-Security-Policy holds in Chromium: an inline handler is refused, and the browser tests'
watch (tests/web/browser.py) sees the refusal, so a template that relies on inline script fails them."""

from tests.web.browser import BROWSER, CSP_WATCH, watch_for_errors

pytestmark = BROWSER


async def test_an_inline_handler_is_refused_and_seen(live):
    context = await live.browser.new_context(base_url=live.base_url)
    try:
        await context.add_init_script(CSP_WATCH)
        page = await context.new_page()
        errors: list[str] = []
        watch_for_errors(page, errors)
        await page.goto("/login")
        assert errors == []                      # the page itself needs nothing the policy refuses
        await page.evaluate("""() => {
            const button = document.createElement('button');
            button.id = 'inline'; button.setAttribute('onclick', 'document.title = "ran"');
            button.textContent = 'x'; document.body.append(button);
        }""")
        await page.click("#inline")
        await page.wait_for_function("() => true")
        assert await page.title() != "ran"
        assert any("Refused to" in e for e in errors), errors
    finally:
        await context.close()
