"""A page's run survives the server: killed (SIGKILL), stopped (SIGTERM), restarted with other
limits, or the tab reloaded. The real server and headless Chromium."""

import json
import re

from kept_runs import (
    LINK,
    MOST_EPOCHS_LOST,
    check_goes_on_unbroken,
    forget_refused_reconnections,
    history_epochs,
    restart,
    train_until_kept,
    wait_until_resumed,
)
from playwright.sync_api import expect
from readouts import epoch


def test_a_crashed_server_restarted_resumes_the_page_where_it_was(own_server, watched):
    page = watched.open(LINK, base_url=own_server.url)
    run = train_until_kept(page, 40)
    own_server.process.kill()  # SIGKILL: nothing is sent to the page
    own_server.process.wait(timeout=10)
    shown = epoch(page)
    own_server.process = None
    restart(own_server)
    resumed = wait_until_resumed(page)
    assert resumed["run"] == run
    assert shown - MOST_EPOCHS_LOST <= resumed["epoch"] <= shown
    expect(page.get_by_test_id("play-pause")).to_have_attribute("aria-label", "Pause")
    check_goes_on_unbroken(page, resumed["epoch"])
    forget_refused_reconnections(watched)


def test_a_stopped_server_loses_nothing_and_says_the_run_is_kept(own_server, watched):
    page = watched.open(LINK, base_url=own_server.url)
    run = train_until_kept(page, 30)
    own_server.stop()  # SIGTERM, as a deploy or a restart sends it
    banner = page.get_by_test_id("connection-banner")
    expect(banner).to_contain_text("Server restarting, your run is kept")
    watched.screenshot("server-restarting")
    shown = epoch(page)
    restart(own_server)
    resumed = wait_until_resumed(page)
    assert resumed["run"] == run
    assert resumed["epoch"] >= shown  # the final state is at least what the page showed
    expect(banner).to_be_hidden()
    check_goes_on_unbroken(page, resumed["epoch"])
    forget_refused_reconnections(watched)


def test_a_reloaded_tab_resumes_its_run_from_session_storage(own_server, watched):
    page = watched.open(LINK, base_url=own_server.url)
    train_until_kept(page, 20)
    page.get_by_test_id("play-pause").click()  # paused: the kept state is the last epoch
    page.wait_for_function(
        "() => window.playground.kept.state?.state === 'paused' "
        "&& window.playground.kept.state.epoch === window.playground.stats.epoch"
    )
    kept_epoch = page.evaluate("window.playground.kept.state.epoch")
    run = page.evaluate("window.playground.run.run")
    page.reload()
    resumed = wait_until_resumed(page)
    assert resumed == {"run": run, "epoch": kept_epoch}
    page.wait_for_function("([n]) => window.playground.stats.epoch === n", arg=[kept_epoch])
    assert history_epochs(page) == list(range(kept_epoch + 1))
    expect(page.get_by_test_id("status-message")).to_contain_text(
        f"resumed run {run} at epoch {kept_epoch}"
    )


def test_a_resume_the_server_now_refuses_is_explained_and_kept_for_saving(own_server, watched):
    page = watched.open(LINK.replace("hidden=6,4", "hidden=8,8"), base_url=own_server.url)
    train_until_kept(page, 5)
    own_server.stop()
    restarted = restart(own_server, "--max-parameters", "60")
    try:
        notice = page.get_by_test_id("resume-notice")
        expect(notice).to_be_visible(timeout=30_000)
        expect(notice).to_contain_text("could not be resumed")
        expect(notice).to_contain_text("this server allows at most 60")
        watched.screenshot("resume-refused")
        with page.expect_download() as download:
            page.get_by_test_id("resume-save").click()
        saved = json.loads(download.value.path().read_text())
        assert saved["config"]["n_h"] == [8, 8]
        assert saved["playground"]["epoch"] >= 5
        assert re.fullmatch(r"mlp-run1-epoch\d+-kept\.json", download.value.suggested_filename)
    finally:
        page.close()  # before its server goes: no reconnection attempts to log
        restarted.stop()
    forget_refused_reconnections(watched)
