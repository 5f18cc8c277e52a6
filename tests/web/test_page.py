"""The newsroom page in a real headless Chromium, against the real broker and a real worker.

Checks issue 20's "done when": the page lists the stories of a small published set; an article
published while the page is open appears within 2 s without a reload; selecting a tag marks its
evidence spans in the body; a hostile title runs no script; desktop and phone screenshots are written
(to the test's directory, and also to ``$ARTICLE_STREAM_SCREENSHOTS`` when set).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
import urllib.parse
from pathlib import Path

import orjson
import pytest

from stream.sources import SAMPLES_DIR, iter_inputs
from tests.support.worker import Deployment, collect, publish, running_worker

pytestmark = pytest.mark.integration

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

HOSTILE_TITLE = "<img src=x onerror=alert(1)>"
HOSTILE = {
    "id": "hostile-1", "source": "Evil Wire", "title": HOSTILE_TITLE, "url": "javascript:alert(1)",
    "body": 'NAIROBI - Kenya\'s parliament debated a new budget on Tuesday.\n\n<script>alert("body")</script> '
    "Lawmakers in Nairobi said the vote would come next week.",
    "published_at": "2025-03-04T10:00:00Z",
}
NEW_ARTICLE = {
    "id": "copper-strike-1", "source": "Andes Desk",
    "title": "Chilean copper miners extend strike at Escondida into a second week",
    "body": "SANTIAGO - Workers at the Escondida copper mine in Chile extended their strike on Monday, "
    "the union said, as talks with BHP over wages stalled.\n\nThe mine in the Atacama desert produces about "
    "a twentieth of the world's copper, and prices rose on the London Metal Exchange.",
    "published_at": "2025-03-05T12:00:00Z",
}
# A follow-up (related to NEW_ARTICLE) and a syndicated copy of it (a duplicate under another id).
FOLLOW_UP = {
    "id": "copper-strike-2", "source": "Metals Wire",
    "title": "BHP and Escondida union resume wage talks as copper strike drags on",
    "body": "SANTIAGO - BHP and the union representing workers at the Escondida copper mine in Chile resumed wage "
    "talks on Wednesday, the company said, as the strike entered its tenth day.\n\nCopper prices held near a "
    "two-month high on the London Metal Exchange.",
    "published_at": "2025-03-06T09:30:00Z",
}
COPY = {**NEW_ARTICLE, "id": "copper-strike-1-copy", "source": "Andes Syndication", "published_at": "2025-03-05T12:05:00Z"}
DESKTOP, PHONE = (1440, 900), (390, 844)
# Replaces the dialog functions before any page script runs: a call is recorded, never shown.
DIALOG_TRAP = "window.__dialogs = []; for (const n of ['alert', 'confirm', 'prompt', 'print']) window[n] = (m) => { window.__dialogs.push(n + ':' + m); };"


def chromium_paths() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if not browser or not driver:
        pytest.skip("needs chromium and chromedriver (apt-get install chromium chromium-driver; `make test` installs them)")
    return browser, driver


@pytest.fixture
def browser():
    binary, driver_path = chromium_paths()
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--hide-scrollbars", "--lang=en-US"):
        options.add_argument(arg)
    options.binary_location = binary
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.set_capability("unhandledPromptBehavior", "ignore")  # a dialog would stay open for us to find
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": DIALOG_TRAP})
        yield driver
    finally:
        driver.quit()


def screenshot(driver, directory: Path, name: str, size: tuple[int, int]) -> Path:
    driver.set_window_size(*size)
    time.sleep(0.4)  # layout settles after a resize
    path = directory / f"{name}.png"
    assert driver.save_screenshot(str(path)), path
    assert path.stat().st_size > 10_000  # a rendered page, not a blank image
    return path


def problems(driver) -> list[str]:
    """Dialogs that opened and console errors: either would mean publisher data ran as code."""
    found = [f"dialog {d}" for d in driver.execute_script("return window.__dialogs || []")]
    try:
        found.append(f"alert open: {driver.switch_to.alert.text}")
    except NoAlertPresentException:
        pass
    found += [f"console {e['level']}: {e['message']}" for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    return found


async def test_newsroom_page_in_chromium(kafka_bootstrap, tmp_path, browser) -> None:
    deployment = Deployment(kafka_bootstrap, name="page")
    t = deployment.topics
    samples = [value for _, value in iter_inputs([SAMPLES_DIR])]
    async with running_worker(deployment, tmp_path) as worker:
        await publish(deployment.bootstrap, t["raw"], samples + [orjson.dumps(HOSTILE)])
        published = len(samples) + 1
        found = await collect(deployment.bootstrap, [t["enriched"], t["dlq"]], expected=published, timeout=120)
        assert not found[t["dlq"]], found[t["dlq"]]
        enriched = {value["id"]: value for _, value, _ in found[t["enriched"]]}
        # The live stories: each story's latest update, merged ones left out.
        updates = await collect(deployment.bootstrap, [t["stories"]], expected=1, timeout=30, idle=2.0)
        latest = {}
        for _, value, _ in updates[t["stories"]]:
            latest[value["story_id"]] = value
        live = {story for story, update in latest.items() if update["event"] != "merged"}
        assert len(live) >= 3

        driver = browser
        driver.set_window_size(*DESKTOP)
        driver.get(worker.url + "/")
        wait = WebDriverWait(driver, 30, poll_frequency=0.1)

        # 1. The stories of the published set.
        def listed() -> set[str]:  # read in one script: the list is re-rendered as events arrive
            return set(driver.execute_script("return Array.from(document.querySelectorAll('#stories .story'), li => li.dataset.story)"))

        try:
            wait.until(lambda d: listed() == live)
        except Exception:
            raise AssertionError(f"listed {listed()} != published {live}\n{worker.log_tail()}") from None
        wait.until(lambda d: d.find_element(By.ID, "live").get_attribute("data-state") == "live")
        hostile_story = enriched[[i for i in enriched if i.endswith("hostile-1")][0]]["story_id"]
        titles = dict(driver.execute_script(
            "return Array.from(document.querySelectorAll('#stories .story'), li => [li.dataset.story, li.querySelector('.story-title').textContent])"
        ))
        assert titles[hostile_story] == HOSTILE_TITLE  # shown as text
        screenshot(driver, tmp_path, "desktop-stories", DESKTOP)
        screenshot(driver, tmp_path, "phone-stories", PHONE)
        driver.set_window_size(*DESKTOP)

        # 2. A new article appears without a reload within 2 s of its publication.
        marker = driver.execute_script("window.__notReloaded = true; return 1;")
        started = time.monotonic()
        await publish(deployment.bootstrap, t["raw"], [orjson.dumps(NEW_ARTICLE)])
        await asyncio.to_thread(
            WebDriverWait(driver, 2.0, poll_frequency=0.05).until,
            lambda d: NEW_ARTICLE["title"] in d.find_element(By.ID, "stories").text,
        )
        appeared = time.monotonic() - started
        assert appeared <= 2.0 and marker == 1 and driver.execute_script("return window.__notReloaded === true")
        print(f"new article on the page {appeared:.2f} s after its publication")

        # Related links with their score and shared tags; duplicates marked.
        await publish(deployment.bootstrap, t["raw"], [orjson.dumps(FOLLOW_UP), orjson.dumps(COPY)])
        found = await collect(deployment.bootstrap, [t["enriched"]], expected=published + 3, timeout=60)
        enriched = {value["id"]: value for _, value, _ in found[t["enriched"]]}
        follow_up = next(a for a in enriched.values() if a["id"].endswith("copper-strike-2"))
        copy = next(a for a in enriched.values() if a["id"].endswith("copper-strike-1-copy"))
        assert follow_up["related"] and copy["duplicate_of"], (follow_up["related"], copy["duplicate_of"])
        driver.get(worker.url + "/#/article/" + urllib.parse.quote(follow_up["id"], safe=""))
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#detail .related li")) == len(follow_up["related"]))
        for li, link in zip(driver.find_elements(By.CSS_SELECTOR, "#detail .related li"), follow_up["related"]):
            assert li.find_element(By.CSS_SELECTOR, ".rel-score").text == f"{link['score']:.2f}"
            assert [c.get_attribute("data-tag") for c in li.find_elements(By.CSS_SELECTOR, ".chip")] == link["shared_tags"]
            assert bool(li.find_elements(By.CSS_SELECTOR, ".badge.dup")) == (link["id"] == copy["id"])
        driver.get(worker.url + "/#/article/" + urllib.parse.quote(copy["id"], safe=""))
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#detail .notice.dup"))
        driver.get(worker.url + "/#/story/" + urllib.parse.quote(follow_up["story_id"], safe=""))
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#detail .timeline li")) == 3)
        screenshot(driver, tmp_path, "desktop-story", DESKTOP)
        driver.set_window_size(*DESKTOP)

        # 3. Selecting a tag marks its evidence spans in the body.
        article = max(
            (a for a in enriched.values() if not a["id"].endswith("hostile-1")),
            key=lambda a: sum(1 for kind in ("topics", "regions", "entities") for item in a[kind] for ev in item["evidence"] if ev["field"] == "body"),
        )
        items = [item for kind in ("regions", "entities", "topics") for item in article[kind]]
        item = next(i for i in items if sum(ev["field"] == "body" for ev in i["evidence"]) >= 1)
        body_evidence = [ev for ev in item["evidence"] if ev["field"] == "body"]
        driver.get(worker.url + "/#/article/" + urllib.parse.quote(article["id"], safe=""))
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#detail .body"))
        chip = driver.find_element(By.CSS_SELECTOR, f'#detail .tags .chip[data-tag="{item["tag"]}"]')
        assert not driver.find_elements(By.CSS_SELECTOR, "#detail mark.ev.on")
        chip.click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#detail .body mark.ev.on"))
        marked = driver.find_elements(By.CSS_SELECTOR, "#detail .body mark.ev.on")
        assert all(item["tag"] in m.get_attribute("data-tags").split(" ") for m in marked)
        others = driver.find_elements(By.CSS_SELECTOR, "#detail .body mark.ev:not(.on)")
        assert not [m for m in others if item["tag"] in m.get_attribute("data-tags").split(" ")]
        # The marked text is exactly the evidence: the body's characters at each span, in order.
        marked_text = driver.execute_script(
            "return Array.from(document.querySelectorAll('#detail .body mark.ev.on')).map(m => m.textContent).join('')"
        )
        expected_text = "".join(article["body"][ev["start"]:ev["end"]] for ev in sorted(body_evidence, key=lambda e: e["start"]))
        assert marked_text.replace(" ", "") == expected_text.replace(" ", "") or all(ev["text"] in marked_text for ev in body_evidence)
        assert chip.get_attribute("aria-pressed") == "true"
        screenshot(driver, tmp_path, "desktop-article", DESKTOP)
        driver.set_window_size(*PHONE)
        driver.execute_script("document.querySelector('#detail .body mark.ev.on').scrollIntoView({block: 'center'})")
        screenshot(driver, tmp_path, "phone-article", PHONE)
        driver.set_window_size(*DESKTOP)

        # 4. The hostile article: its title and body are text, its javascript: URL is no link, nothing ran.
        hostile_id = [i for i in enriched if i.endswith("hostile-1")][0]
        driver.get(worker.url + "/#/article/" + urllib.parse.quote(hostile_id, safe=""))
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#detail h1.title"))
        assert driver.find_element(By.CSS_SELECTOR, "#detail h1.title").text == HOSTILE_TITLE
        assert '<script>alert("body")</script>' in driver.find_element(By.CSS_SELECTOR, "#detail .body").text
        assert driver.execute_script("return document.querySelectorAll('img[src=\"x\"], #detail script, a[href^=\"javascript:\"]').length") == 0
        driver.get(worker.url + "/#/story/" + urllib.parse.quote(hostile_story, safe=""))
        wait.until(lambda d: HOSTILE_TITLE in d.find_element(By.ID, "detail").text)
        time.sleep(0.5)
        assert problems(driver) == []

    copy_to = os.environ.get("ARTICLE_STREAM_SCREENSHOTS")
    if copy_to:
        Path(copy_to).mkdir(parents=True, exist_ok=True)
        for shot in tmp_path.glob("*.png"):
            shutil.copy(shot, Path(copy_to) / shot.name)
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "desktop-article.png", "desktop-stories.png", "desktop-story.png", "phone-article.png", "phone-stories.png"
    ]
