"""The dashboard in a real browser: Playwright driving Debian's Chromium against a server on
127.0.0.1. Log in, read the overview, change the period, compare what the screen says with
the API; the public page's suppression; keyboard reachability; axe-core's verdict."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

import webtest
from forcestat.measures import CATALOGUE, format_value

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
#: where the test server listens (FORCESTAT_TEST_PORTS=8680-8699 moves it)
LOW, HIGH = os.environ.get("FORCESTAT_TEST_PORTS", "8160-8199").split("-")
PORTS = range(int(LOW), int(HIGH) + 1)

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"needs Debian's Chromium at {CHROMIUM}"
)


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    store = webtest.build_store(tmp_path_factory.mktemp("browser") / "web.duckdb")
    users = webtest.add_users(store)
    app = webtest.make_app(store)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "the server did not start"
    yield {"url": f"http://127.0.0.1:{port}", "store": store, "users": users}
    srv.should_exit = True
    thread.join(10)
    store.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


#: a first, uncached page may take many seconds while the suite loads both cores
SLOW_MS = 120_000


def new_page(browser, **context):
    page = browser.new_context(**context).new_page()
    page.set_default_timeout(SLOW_MS)
    page.set_default_navigation_timeout(SLOW_MS)
    return page


def log_in(browser, server, role="board", **context):
    page = new_page(browser, **context)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    u = server["users"][role]
    page.goto(server["url"] + "/login")
    page.fill("#l-user", u["name"])
    page.fill("#l-pass", u["password"])
    page.click("main button[type=submit]")
    page.wait_for_url(server["url"] + "/")
    page.errors = errors  # type: ignore[attr-defined]
    return page


def api_value(page, server, key: str, period: str) -> str:
    r = page.request.get(
        f"{server['url']}/api/v1/measures", params={"measure": key, "period": period}
    )
    assert r.ok, r.text()
    row = r.json()["rows"][0]
    m = CATALOGUE[key]
    return format_value(row["value"], m.unit, m.decimals or None)


def test_overview_after_a_period_change_shows_the_apis_figures(browser, server):
    page = log_in(browser, server)
    assert page.locator(".tile").count() >= 10
    page.fill("#f-period", "2022-08..2022-10")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**period=2022-08..2022-10**")
    assert "2022-08..2022-10" in page.locator("main .lead").inner_text()
    for key in ("calls_999_pct_not_answered", "recorded_crime", "calls_101_avg_queue_seconds"):
        shown = page.locator(f".tile .value[data-measure='{key}']").inner_text().strip()
        assert shown == api_value(page, server, key, "2022-08..2022-10"), key
    # the quick-period menu (JavaScript) changes the period too
    page.select_option("#f-quick", index=1)
    page.wait_for_url("**period=2022-10**")
    shown = page.locator(".tile .value[data-measure='recorded_crime']").inner_text().strip()
    assert shown == api_value(page, server, "recorded_crime", "2022-10")
    assert page.errors == []  # no CSP violation, no script error


def test_measure_page_draws_its_process_chart(browser, server):
    page = log_in(browser, server)
    page.goto(server["url"] + "/measures/calls_999_pct_not_answered?period=2022-08..2022-10")
    page.wait_for_selector("#xmr-chart + svg, .vega svg", timeout=SLOW_MS)
    assert page.locator(".vega svg").count() >= 1
    assert page.locator("#measure-table tbody tr").count() == 3
    assert page.errors == []


def test_public_page_suppresses_as_the_reports_public_edition(browser, server):
    from forcestat.periods import parse_period
    from forcestat.report.figures import collect_figures
    from forcestat.web.public import public_edition

    period = parse_period("2022-08..2022-10")
    figures = public_edition(collect_figures(server["store"], period))
    page = new_page(browser)
    page.goto(server["url"] + "/public?period=2022-08..2022-10")
    rows = page.locator("#public-table tbody tr")
    months = ["2022-08", "2022-09", "2022-10"]
    seen_under_five = 0
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        key = cells.last.get_attribute("data-measure")
        for j, mo in enumerate(months):
            want = figures.value(key, "month", mo)
            text = cells.nth(j).inner_text().strip()
            if text:
                assert text == getattr(want, "mark", None) or text == figures.format(key, want)
                seen_under_five += text == "<5"
    # the fixture's three unanswered 999 calls in September 2022
    row = page.locator(
        "#public-table tbody tr", has=page.locator("[data-measure='calls_999_not_answered']")
    )
    assert row.locator("td").nth(1).inner_text().strip() == "<5"
    assert seen_under_five >= 1
    assert page.locator("a[href='/login']").count() == 1  # no login needed


def test_every_filter_is_reachable_by_keyboard(browser, server):
    page = log_in(browser, server)
    page.goto(server["url"] + "/?period=2022-10")
    wanted = {"f-period", "f-quick", "f-grain", "f-district", "f-channel"}
    reached = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.id"))
        if wanted <= reached:
            break
    assert wanted <= reached, wanted - reached
    # and the form submits from the keyboard
    page.focus("#f-period")
    page.keyboard.press("Enter")
    page.wait_for_url("**grain=month**")


def drawn(page, spec_id: str) -> None:
    """Wait until vega-embed has drawn the chart whose spec is ``spec_id``."""
    page.wait_for_selector(f"div.vega[data-spec='{spec_id}'] svg", timeout=SLOW_MS)
    assert "Chart unavailable" not in page.locator(f"div.vega[data-spec='{spec_id}']").inner_text()


def cells(page, table: str) -> list[list[str]]:
    rows = page.locator(f"{table} tbody tr")
    return [
        [c.strip() for c in rows.nth(i).locator("td").all_inner_texts()]
        for i in range(rows.count())
    ]


def test_demand_surge_what_if_shows_its_result_and_chart(browser, server):
    page = log_in(browser, server, role="manager")
    page.goto(server["url"] + "/demand?period=2022-08..2022-10")
    drawn(page, "heat-999")  # staffing by hour of the week
    page.select_option("#s-day", "Sat")
    page.fill("#s-start", "20")
    page.fill("#s-hours", "2")
    page.fill("#s-factor", "3")
    page.fill("#s-divert", "25")
    page.fill("#s-rep", "4")
    page.get_by_role("button", name="Run the surge").click()
    page.wait_for_url("**run=surge**")
    drawn(page, "surge-chart")
    # the form keeps what was asked, and the table says what the API says for it: a row per
    # figure, a column per scenario, each cell the mean ± its 95% half-width
    assert page.input_value("#s-factor") == "3.0" and page.input_value("#s-day") == "Sat"
    r = page.request.get(
        server["url"] + "/api/v1/demand/whatif/surge",
        params={
            "period": "2022-08..2022-10",
            "day": "Sat",
            "start": 20,
            "hours": 2,
            "factor": 3,
            "divert": 25,
            "replications": 4,
        },
    )
    assert r.ok, r.text()
    runs = r.json()["rows"]
    header = page.locator("#surge-result thead th").all_inner_texts()
    assert header[1:] == [x["scenario"] for x in runs]
    assert len(runs) == 3  # normal, surge, and surge with 25% of 101 callers sent to digital
    for key in ("pct_999_not_answered", "avg_999_queue_s", "calls_101"):
        row = page.locator(f"#surge-result tr[data-figure='{key}'] td").all_inner_texts()
        assert row == [f"{x[key]:.2f} ± {x[key + '_ci']:.2f}" for x in runs], key
    assert page.errors == []


def test_demand_chat_what_if_shows_its_result_and_chart(browser, server):
    page = log_in(browser, server, role="manager")
    page.goto(server["url"] + "/demand?period=2022-08..2022-10")
    page.fill("#c-rate", "12")
    page.fill("#c-aht", "480")
    page.fill("#c-k", "3")
    page.get_by_role("button", name="Work out operators").click()
    page.wait_for_url("**run=chat**")
    drawn(page, "chat-chart")
    shown = cells(page, "#chat-result")
    assert [row[0] for row in shown] == ["1.00", "2.00", "3.00"]  # chats each operator holds
    r = page.request.get(
        server["url"] + "/api/v1/demand/whatif/chat",
        params={"chats_per_hour": 12, "aht": 480, "max_k": 3},
    )
    assert r.ok, r.text()
    operators = [f"{row['operators']:.2f}" for row in r.json()["rows"]]
    header = page.locator("#chat-result thead th").all_inner_texts()
    assert [row[header.index("operators")] for row in shown] == operators
    assert page.errors == []


@pytest.mark.skipif(not AXE.exists(), reason="axe-core not installed: run make install-test")
@pytest.mark.parametrize(
    "path",
    [
        "/?period=2022-10",
        "/measures/calls_999_pct_not_answered?period=2022-10",
        "/public?period=2022-08..2022-10",
        "/login",
        "/demand?period=2022-08..2022-10&run=surge&surge_replications=3",
    ],
)
def test_axe_finds_no_serious_violation(browser, server, path):
    # axe is injected as an inline script, which the page's CSP rightly forbids: this
    # context alone bypasses CSP, for the test's own script
    role = "manager" if path.startswith("/demand") else "board"
    page = log_in(browser, server, role=role, bypass_csp=True)
    page.goto(server["url"] + path)
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
