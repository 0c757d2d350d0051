"""Tests for the first login through a real hub in local mode (issue 16): the welcome notebook
and sample data, copied once; notebook templates in the launcher; the shared datasets folder,
read-only for users and writable for data stewards. The hub tests share one hub (`hub` below),
each with users of its own."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from hubkit.welcome import copy_welcome

from .. import ROOT
from ..browser import first_visit, log_in, use_theme
from ..hubserver import HubServer
from ..utils import run_nbval
from .test_docker_config import make_spawner

WELCOME = ROOT / "notebooks" / "welcome" / "home"
TEMPLATES = ROOT / "notebooks" / "templates"
PASSWORD = "first-Login-pass-16"


@pytest.fixture(scope="module")
def hub(tmp_path_factory, catalog, layout, available_profiles):
    """A hub with a shared datasets folder (`hub.datasets`), which only
    test_first_login_welcome_and_shared_datasets fills."""
    root = tmp_path_factory.mktemp("first-login")
    datasets = root / "datasets"
    datasets.mkdir()
    with HubServer(root, catalog, layout, HUBKIT_DATASETS_DIR=str(datasets)) as server:
        server.datasets = datasets
        yield server


def contents(hub, user: str, token: str, method: str, path: str, **kw) -> requests.Response:
    """A call to the user's server's Contents API (what the file browser uses)."""
    return requests.request(
        method,
        f"{hub.url}/user/{user}/api/contents/{path}",
        headers={"Authorization": f"token {token}"},
        timeout=60,
        **kw,
    )


def restart(hub, user: str, token: str) -> None:
    assert hub.api("DELETE", f"/users/{user}/server", token).status_code in (202, 204)
    hub.wait_for(
        lambda: not hub.api("GET", f"/users/{user}", token).json()["servers"],
        60,
        f"server of {user} stopped",
    )
    hub.spawn(user, token, {"profile": "python-sql"})


def test_the_welcome_files_are_copied_once_and_never_over_a_users_file(tmp_path):
    # Given a home where the user already has their own orders.csv
    home = tmp_path / "home"
    (home / "sample-data").mkdir(parents=True)
    (home / "sample-data" / "orders.csv").write_text("mine\n")
    # When the welcome files are copied, twice
    first = copy_welcome(home, WELCOME)
    second = copy_welcome(home, WELCOME)
    # Then the first time brings the notebook and the database, keeps the user's file
    assert {"Welcome.ipynb", "sample-data/shop.sqlite"} <= set(first)
    assert "sample-data/orders.csv" not in first
    assert (home / "sample-data" / "orders.csv").read_text() == "mine\n"
    # And the second time nothing
    assert second == []


DUCKDB_COUNT = (
    "get_ipython().run_cell_magic('sql_cell', '-c duckdb -o n', "
    "\"SELECT count(*) AS n FROM 'datasets/cities.csv'\")\n"
    "print('rows:', int(n.n[0]))"
)


@pytest.mark.slow
async def test_first_login_welcome_and_shared_datasets(hub, layout):
    # Given a hub with a shared datasets folder the admin filled
    datasets = hub.datasets
    (datasets / "cities.csv").write_text("city,pop\nOslo,709000\nBergen,291000\n")
    # When a new user logs in and their server starts
    _, token = hub.add_account("wendy")
    hub.spawn("wendy", token, {"profile": "python-sql"})
    # Then their home has the welcome notebook and the sample data
    home = Path(hub.env["HUBKIT_HOMES_DIR"]) / "wendy"
    notebook = home / "Welcome.ipynb"
    for name in ("Welcome.ipynb", "sample-data/shop.sqlite", "sample-data/orders.csv"):
        assert (home / name).is_file(), name
    listing = contents(hub, "wendy", token, "GET", "")
    assert {"Welcome.ipynb", "sample-data", "datasets"} <= {
        item["name"] for item in listing.json()["content"]
    }
    # And the notebook runs top to bottom in the profile's kernel, from the home
    jupyter_path = layout.profile_dir("python-sql") / "share" / "jupyter"
    result = run_nbval(notebook, "python3", jupyter_path, home, HOME=str(home))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    # When the user edits the notebook, deletes the CSV file and logs in again
    notebook.write_text(notebook.read_text().replace("Welcome to your hub", "My own notes"))
    (home / "sample-data" / "orders.csv").unlink()
    restart(hub, "wendy", token)
    # Then their edit stays and the deleted file does not come back
    assert "My own notes" in notebook.read_text()
    assert not (home / "sample-data" / "orders.csv").exists()

    # Given a normal user and a data steward
    _, steward = hub.add_account("stella", groups=("data-stewards",))
    hub.spawn("stella", steward, {"profile": "python-sql"})
    # Then both see the shared datasets in the file browser
    for user, tok in (("wendy", token), ("stella", steward)):
        listed = contents(hub, user, tok, "GET", "datasets").json()["content"]
        assert [item["name"] for item in listed] == ["cities.csv"], user
    # And the normal user cannot add, change or delete a dataset, with a reason
    new = {"type": "file", "format": "text", "content": "a,b\n"}
    refused = contents(hub, "wendy", token, "PUT", "datasets/mine.csv", json=new)
    assert refused.status_code == 403, refused.text
    assert "datasets/ is read-only" in refused.json()["message"]
    assert contents(hub, "wendy", token, "DELETE", "datasets/cities.csv").status_code == 403
    # While the steward can
    added = contents(hub, "stella", steward, "PUT", "datasets/new.csv", json=new)
    assert added.status_code == 201, added.text
    assert (datasets / "new.csv").read_text() == "a,b\n"
    # And a SQL cell reads the shared data through DuckDB
    output = await hub.execute("wendy", token, "python3", DUCKDB_COUNT)
    assert "rows: 2" in output, output


@pytest.mark.slow
def test_templates_are_listed_and_make_a_notebook(hub):
    # Given a user's server
    _, token = hub.add_account("tess")
    hub.spawn("tess", token, {"profile": "python-sql"})
    api = f"{hub.url}/user/tess/hubkit-lab/templates"
    headers = {"Authorization": f"token {token}"}
    # When the launcher asks for the templates
    listed = requests.get(api, headers=headers, timeout=30).json()["templates"]
    # Then the shipped ones are there, titled by their heading
    titles = {t["name"]: t["title"] for t in listed}
    assert titles == {
        "chart-report.ipynb": "Chart report",
        "dataframe-exploration.ipynb": "DataFrame exploration",
        "ml-baseline.ipynb": "Machine-learning baseline",
        "sql-analysis.ipynb": "SQL analysis",
    }
    # When one is used twice, the second copy gets a new name; an unknown one is refused
    made = [
        requests.post(api, headers=headers, json={"name": "sql-analysis.ipynb", "dir": ""})
        for _ in range(2)
    ]
    assert [r.json()["path"] for r in made] == ["sql-analysis.ipynb", "sql-analysis-1.ipynb"]
    home = Path(hub.env["HUBKIT_HOMES_DIR"]) / "tess"
    assert (home / "sql-analysis.ipynb").read_bytes() != b""
    bad = requests.post(api, headers=headers, json={"name": "../x.ipynb"})
    assert bad.status_code == 404


@pytest.mark.slow
@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.ipynb")))
def test_each_shipped_template_runs(template, layout, available_profiles, tmp_path):
    jupyter_path = layout.profile_dir("python-sql") / "share" / "jupyter"
    result = run_nbval(TEMPLATES / template, "python3", jupyter_path, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


@pytest.mark.slow
@pytest.mark.browser
def test_the_welcome_opens_and_a_template_from_the_launcher_makes_a_notebook(
    hub, browser, tmp_path
):
    # Given a user who logs in and starts a server
    hub.add_account("lars", password=PASSWORD)
    page = browser.new_page()
    log_in(page, hub.url, "lars", PASSWORD)
    page.wait_for_selector("input[name=profile]")
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_url("**/user/lars/lab**", timeout=120_000)
    # Then the welcome notebook opens by itself, and is recorded as opened (not again)
    page.wait_for_selector(".jp-NotebookPanel:has-text('Welcome')", timeout=120_000)
    home = Path(hub.env["HUBKIT_HOMES_DIR"]) / "lars"
    assert (home / ".local" / "state" / "hubkit" / "welcome-opened").exists()
    # When the user opens a launcher
    first_visit(page)
    # Then the launcher has a Templates section with the shipped templates (light and dark)
    section = page.locator(".jp-Launcher:visible .jp-Launcher-section:has-text('Templates')")
    section.wait_for(timeout=120_000)
    cards = section.locator(".jp-LauncherCard")
    assert sorted(cards.all_inner_texts()) == sorted(
        ["Chart report", "DataFrame exploration", "Machine-learning baseline", "SQL analysis"]
    )
    section.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "launcher-light.png"))
    use_theme(page, "JupyterLab Dark")
    section.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "launcher-dark.png"))
    # When the user clicks one
    section.locator(".jp-LauncherCard[title*='Query data with SQL cells']").click()
    # Then a new notebook opens with the template's content
    page.wait_for_selector(".jp-NotebookPanel:visible:has-text('SQL analysis')", timeout=60_000)
    page.wait_for_selector(".lm-TabBar-tab:has-text('sql-analysis.ipynb')", timeout=30_000)
    assert (home / "sql-analysis.ipynb").is_file()


def test_docker_mounts_datasets_read_only_but_for_stewards_and_templates_read_only(catalog):
    # Given the Docker spawner with the admin's datasets and templates folders
    def volumes(groups: tuple[str, ...]) -> dict:
        spawner = make_spawner(catalog, groups=groups)
        spawner.datasets_dir = "/srv/hubkit/datasets"
        spawner.templates_dir = "/srv/hubkit/templates"
        # When a server is configured (twice: a spawner is reused for the user's next start)
        spawner.apply_profile_options({"profile": "python-sql"})
        spawner.apply_profile_options({"profile": "python-sql"})
        assert spawner.environment["HUBKIT_TEMPLATES_DIR"] == "/opt/hubkit/templates"
        return spawner.volumes

    user, steward = volumes(()), volumes(("data-stewards",))
    # Then a user gets the datasets read-only, a data steward read-write, in the home
    datasets = {"bind": "/home/jovyan/datasets", "mode": "ro"}
    assert user["/srv/hubkit/datasets"] == datasets
    assert steward["/srv/hubkit/datasets"] == {**datasets, "mode": "rw"}
    # And both the templates read-only over the image's, beside their home volume
    for mounts in (user, steward):
        assert mounts["/srv/hubkit/templates"] == {"bind": "/opt/hubkit/templates", "mode": "ro"}
        assert mounts["hubkit-home-{username}"] == "/home/jovyan"
