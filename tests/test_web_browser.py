"""The search page in a real browser: Debian's headless Chromium through /usr/bin/chromedriver.

Types a query and picks a completion, sees the error caret, the hits, clicks a facet, a month of
the timeline and a cable, and follows a reference both ways. Skips where Chromium is missing,
except under CI=true, where it must run (tests/install-browser installs it).
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from cablesearch import CableIndex
from cablesearch.web import create_app
from webserver import HOSTILE_ID, SCRIPT, live_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from web_screenshots import CHROMEDRIVER, chromium  # noqa: E402 - the one way both start Chromium

WAIT = 20  # seconds a browser condition may take before the test gives up (not a timing assertion)


@pytest.fixture(scope="module")
def browser():
    if not (os.path.exists(CHROMEDRIVER) and os.path.exists("/usr/bin/chromium")):
        message = f"{CHROMEDRIVER} or /usr/bin/chromium is absent: apt-get install chromium chromium-driver"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: the browser test must run)")
        pytest.skip(message)
    with tempfile.TemporaryDirectory() as profile:
        driver = chromium(profile, 1280, 900)
        try:
            yield driver
        finally:
            driver.quit()


@pytest.fixture(scope="module")
def base_url(web_index):
    with CableIndex.open(web_index) as index, live_server(create_app(index)) as url:
        yield url


def query_of(url: str) -> str:
    return parse_qs(urlparse(url).query).get("q", [""])[0]


def test_search_page_in_a_browser(browser, base_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, WAIT)
    browser.get(base_url + "/")
    box = wait.until(ec.element_to_be_clickable((By.ID, "q")))

    # completion from the index: tag:PH offers PHUM with its count; Tab takes the first
    box.send_keys("tag:PH")
    wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#suggest li")))
    shown = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#suggest li")]
    assert any(text.startswith("PHUM") and "cable" in text for text in shown), shown
    box.send_keys(Keys.TAB)
    wait.until(lambda _: box.get_attribute("value") == "tag:PHUM")

    # the error caret, live: an unclosed parenthesis
    box.send_keys(" (belarus")
    error = wait.until(ec.visibility_of_element_located((By.ID, "qerror")))
    assert "never closed" in error.text
    assert browser.find_element(By.ID, "qerror-caret").text == " " * 9 + "^"
    box.send_keys(")")
    wait.until(ec.invisibility_of_element_located((By.ID, "qerror")))

    # the hits
    box.send_keys(Keys.ESCAPE, Keys.ENTER)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".hit")))
    assert query_of(browser.current_url) == "tag:PHUM (belarus)"
    ids = [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".hit .cable-link")]
    assert {"07BAKU595", HOSTILE_ID} <= set(ids)
    assert browser.find_elements(By.CSS_SELECTOR, ".snippet mark")

    # a facet adds its filter to the query
    link = browser.find_element(By.CSS_SELECTOR, '.facet[data-facet="year"] .facet-link')
    year = link.text
    link.click()
    wait.until(lambda b: "date:" in query_of(b.current_url))
    assert query_of(browser.current_url) == f"tag:PHUM (belarus) date:{year}"
    assert browser.find_element(By.ID, "q").get_attribute("value") == f"tag:PHUM (belarus) date:{year}"
    dates = {d.text[:4] for d in browser.find_elements(By.CSS_SELECTOR, ".hit .date")}
    assert dates == {year}

    # a month of the timeline narrows the date
    browser.get(base_url + "/?q=tag%3APHUM")
    month = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#timeline a.month")))
    value = month.get_attribute("data-month")
    browser.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))",
                           month.find_element(By.CSS_SELECTOR, "rect.hitbox"))
    wait.until(lambda b: query_of(b.current_url) == f"tag:PHUM date:{value}")
    assert all(d.text.startswith(value) for d in browser.find_elements(By.CSS_SELECTOR, ".hit .date"))

    # a cable, its paragraph anchors and its references both ways
    browser.get(base_url + "/?q=tag%3APHUM+belarus")
    wait.until(ec.element_to_be_clickable((By.LINK_TEXT, "07BAKU595"))).click()
    wait.until(ec.presence_of_element_located((By.ID, "cable")))
    assert browser.find_element(By.CSS_SELECTOR, "h1 .id").text == "07BAKU595"
    assert browser.find_element(By.ID, "p1").text.startswith("¶1")
    assert query_of(browser.current_url) == "tag:PHUM belarus"  # the query travels with the view
    browser.find_element(By.CSS_SELECTOR, f'.cited-by-link[href="/cable/{HOSTILE_ID}"]').click()
    wait.until(lambda b: b.find_element(By.CSS_SELECTOR, "h1 .id").text == HOSTILE_ID)

    # the hostile cable's markup is text on the page, and nothing of it ran
    body = browser.find_element(By.ID, "cable").text
    assert SCRIPT in body and "onerror=alert(1)" in body and "{{ 7*7 }}" in body
    assert not browser.find_elements(By.CSS_SELECTOR, "#cable img, #cable script, #cable svg, #cable b")
    assert browser.execute_script("return document.title").startswith(HOSTILE_ID)
    browser.find_element(By.CSS_SELECTOR, '.ref-link[href="/cable/07BAKU595"]').click()
    wait.until(lambda b: b.find_element(By.CSS_SELECTOR, "h1 .id").text == "07BAKU595")
