"""The checks every page walk makes find what they look for: a check that could not fail would prove nothing."""

from playwright.async_api import Page

from tests.support.portal import page_problems

FLAWED = """<!doctype html><html lang="en"><body>
<p style="color:#1a1a1a">Readable text</p>
<p style="color:#aaaaaa">Pale grey text</p>
<div style="background:#0b4f96"><span style="color:#ffffff">White on blue</span></div>
<h1 style="color:#888888; font-size:32px">Large grey heading</h1>
<label for="named">Named</label><input id="named">
<input id="nameless">
<div onclick="go()">A div that acts as a button</div>
<a href="/next" tabindex="3">Jumps the tab order</a>
</body></html>"""


async def test_a_page_walk_finds_low_contrast_unlabelled_inputs_and_controls_off_the_keyboard(page: Page) -> None:
    await page.set_content(FLAWED)

    problems = await page_problems(page, "flawed", "en")

    assert len(problems) == 3, problems
    unlabelled, contrast, keyboard = problems
    assert "nameless" in unlabelled and "named" not in unlabelled.replace("nameless", "")
    assert "Pale grey text" in contrast and "2.3" in contrast  # #aaa on white is 2.32:1
    assert "Large grey heading" not in contrast  # 3.54:1 passes for large text
    assert "Readable text" not in contrast and "White on blue" not in contrast
    assert "onclick" in keyboard and 'tabindex="3"' in keyboard
