"""The pages' Content-Security-Policy holds in Chromium: an inline handler is refused, and the browser tests'
watch (tests/web/browser.py) sees the refusal, so a template that relies on inline script fails them."""

from playwright.async_api import async_playwright

from tests.web.browser import BROWSER, CHROMIUM, CHROMIUM_ARGS, CSP_WATCH, live_server, watch_for_errors

pytestmark = BROWSER


async def test_an_inline_handler_is_refused_and_seen(app):
    async with live_server() as base_url, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(base_url=base_url)
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
            await browser.close()
