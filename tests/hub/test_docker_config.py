"""Tests for the container configuration DockerProfileSpawner produces for each profile and size,
without a Docker engine: only the client's calls to the engine are replaced."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from types import SimpleNamespace

import docker
import pytest
from jupyterhub.objects import Hub
from tornado import web
from traitlets.config import Config

from hubkit.hub.spawners.docker import DockerProfileSpawner
from hubkit.imagesfile import write_images_file
from hubkit.policy import load_policy
from tests import ROOT, SIZES

POLICY = load_policy(ROOT / "hub" / "policy.yaml")
IMAGES = {"python-sql": "ghcr.io/hubkit/python-sql-notebook:1", "r": "ghcr.io/hubkit/r-notebook:1"}


class RecordingClient(docker.APIClient):
    """The real docker-py client (so host configs are built and validated for real), with the
    calls that would reach an engine recorded or answered from fixtures."""

    def __init__(self):
        super().__init__(base_url="unix:///nonexistent/docker.sock", version="1.44")
        self.created: list[dict] = []
        self.archives: list[tuple[str, str, bytes]] = []

    def create_container(self, **kwargs):
        self.created.append(kwargs)
        return {"Id": "c0ffee" * 10}

    def put_archive(self, container, path, data):
        self.archives.append((container, path, data))
        return True

    def inspect_image(self, image):
        assert image.startswith("ghcr.io/hubkit/")
        return {"Config": {"Entrypoint": ["tini", "-g", "--"], "Cmd": ["start-notebook.py"]}}

    def stats(self, container, stream=True, **kwargs):
        assert container == "c0ffee" * 10 and stream is False
        return {
            "cpu_stats": {
                "cpu_usage": {"total_usage": 3_000_000_000},
                "system_cpu_usage": 20_000_000_000,
                "online_cpus": 2,
            },
            "precpu_stats": {
                "cpu_usage": {"total_usage": 2_000_000_000},
                "system_cpu_usage": 10_000_000_000,
            },
            "memory_stats": {"usage": 600 * 2**20, "stats": {"inactive_file": 100 * 2**20}},
        }

    def df(self):
        return {
            "Volumes": [
                {"Name": "hubkit-home-bob", "UsageData": {"Size": 5}},
                {"Name": "hubkit-home-alice", "UsageData": {"Size": 7 * 2**30}},
            ]
        }


@pytest.fixture
def client(monkeypatch):
    client = RecordingClient()
    monkeypatch.setattr(DockerProfileSpawner, "_client", client)
    return client


def make_spawner(catalog, groups=(), gpus: bool = True) -> DockerProfileSpawner:
    """A spawner configured as hub/jupyterhub_config.py does, from the shipped policy."""
    config = Config()
    config.DockerProfileSpawner.images = IMAGES
    config.DockerProfileSpawner.network_name = "hubkit-internal"
    config.DockerProfileSpawner.catalog_path = str(catalog.path)
    config.DockerProfileSpawner.sizes = POLICY.sizes
    config.DockerProfileSpawner.group_sizes = POLICY.group_sizes()
    config.DockerProfileSpawner.offer_gpu_sizes = gpus
    config.DockerProfileSpawner.lab_token_scopes = list(POLICY.lab_token_scopes)
    user = SimpleNamespace(
        name="alice",
        id=1,
        url="/user/alice/",
        groups=[SimpleNamespace(name=g, properties={}) for g in groups],
    )
    spawner = DockerProfileSpawner(user=user, hub=Hub(), config=config, orm_spawner=None)
    spawner.api_token = "secret-api-token"
    return spawner


async def create(spawner, client, options):
    spawner.apply_profile_options(options)
    await spawner.create_object()
    return client.created[-1]


@pytest.mark.parametrize("slug", IMAGES)
@pytest.mark.parametrize("size", SIZES)
async def test_each_profile_and_size_becomes_a_limited_container(catalog, client, slug, size):
    # Given a spawner with an image per profile, on the internal network
    spawner = make_spawner(catalog)
    # When a profile and size are applied and the container is created
    kwargs = await create(spawner, client, {"profile": slug, "size": size})
    host = kwargs["host_config"]
    # Then the profile's image runs with the size's limits
    assert kwargs["image"] == IMAGES[slug]
    assert host["Memory"] == {"2G": 2 * 2**30, "4G": 4 * 2**30}[SIZES[size]["mem_limit"]]
    assert host["CpuQuota"] == int(SIZES[size]["cpu_limit"] * host["CpuPeriod"])
    # And the container is removed on stop, with the home in the user's named volume
    assert host["AutoRemove"] is True
    assert host["Binds"] == ["hubkit-home-alice:/home/jovyan:rw"]
    # And only on the internal network, reached at its address there (no published port)
    assert host["NetworkMode"] == "hubkit-internal"
    assert "PortBindings" not in host and spawner.use_internal_ip
    assert "DeviceRequests" not in host
    # And the hub's secrets stay out of the environment but for the server's own token
    assert kwargs["environment"]["JUPYTERHUB_API_TOKEN"] == "secret-api-token"
    assert "CONFIGPROXY_AUTH_TOKEN" not in kwargs["environment"]


async def test_gpu_size_requests_the_gpus_and_does_not_stick(catalog, client):
    # Given a member of gpu-users, who is offered the GPU size
    spawner = make_spawner(catalog, groups=["gpu-users"])
    # When they start with it, the container asks for every GPU
    host = (await create(spawner, client, {"profile": "python-sql", "size": "gpu"}))["host_config"]
    assert host["DeviceRequests"] == [
        {"Driver": "", "Count": -1, "DeviceIDs": [], "Capabilities": [["gpu"]], "Options": {}}
    ]
    assert host["Memory"] == 16 * 2**30
    # Then the next start with a small size has no GPU and the small limits
    host = (await create(spawner, client, {"profile": "python-sql", "size": "small"}))[
        "host_config"
    ]
    assert "DeviceRequests" not in host and host["Memory"] == 2 * 2**30


async def test_the_hubs_ai_off_starts_servers_without_jupyter_ai(catalog, client):
    # Given the hub's AI off (HUBKIT_AI=false: no gateway URL)
    spawner = make_spawner(catalog)
    # When a server is created
    env = (await create(spawner, client, {"profile": "python-sql"}))["environment"]
    # Then the python prefix's ai-off config folder comes first, before the image's own config
    paths = env["JUPYTER_CONFIG_PATH"].split(":")
    assert paths == ["/opt/envs/python/etc/hubkit/ai-off", "/opt/hubkit/etc/jupyter"]
    assert "ANTHROPIC_BASE_URL" not in env
    # And with the AI on, the image's config path is left as it is (jupyter-ai loads)
    spawner.ai_gateway_url = "http://hub:8082/services/ai-gateway"
    env = (await create(spawner, client, {"profile": "python-sql"}))["environment"]
    assert "JUPYTER_CONFIG_PATH" not in env
    assert env["ANTHROPIC_BASE_URL"] == "http://hub:8082/services/ai-gateway/anthropic"


@pytest.mark.parametrize(
    "options",
    [
        {"profile": "python-sql", "size": "gpu"},  # not a member of gpu-users
        {"profile": "julia"},  # in the catalog, but no image
        {"profile": "python-sql", "image": "evil/image:latest"},
    ],
)
def test_what_is_not_offered_is_refused(catalog, client, options):
    spawner = make_spawner(catalog)
    with pytest.raises(web.HTTPError) as info:
        spawner.apply_profile_options(options)
    assert info.value.status_code == 400


async def test_usage_comes_from_container_stats_and_volume_sizes(catalog, client):
    # Given a running container
    spawner = make_spawner(catalog)
    spawner.object_id = "c0ffee" * 10
    # Then CPU is computed as `docker stats` does, memory without the page cache
    usage = await spawner.get_usage()
    assert usage.cpu_percent == 20.0 and usage.memory_bytes == 500 * 2**20
    # And storage is the size of the user's home volume
    assert await spawner.get_home_bytes() == 7 * 2**30


def test_jupyterlab_may_manage_only_the_shares_of_the_server_it_runs_in(catalog):
    # Given alice's default server configured from the shipped policy
    spawner = make_spawner(catalog)
    # When the hub asks what tokens for it may hold (what JupyterLab's Share dialog uses)
    scopes = spawner.oauth_client_allowed_scopes
    # Then sharing is limited to this server, and people's names are all else it may read
    assert scopes == [
        "shares!server=alice/",
        "read:users:name",
        "list:users",
        "read:groups:name",
        "list:groups",
    ]


async def test_a_changed_images_file_is_offered_at_the_next_form_without_a_restart(
    catalog, client, tmp_path
):
    # Given a hub started before any build: its images file does not exist yet
    path = tmp_path / "images.json"
    spawner = make_spawner(catalog)
    spawner.images_file = str(path)
    # Then the form offers nothing and says what to do
    form = spawner.render_profile_form()
    assert "No profile can be started" in form
    assert f"{path} does not exist: run `hubkit images build`" in form
    # When `hubkit images build` records python-sql (as it writes the file)
    write_images_file(path, {"python-sql": IMAGES["python-sql"]}, catalog.profiles)
    # Then the same spawner (the hub was not restarted) offers it and starts it
    form = spawner.render_profile_form()
    assert 'value="python-sql"' in form and 'value="r"' not in form
    assert (await create(spawner, client, {"profile": "python-sql"}))["image"] == IMAGES[
        "python-sql"
    ]
    # When a rebuild records a new python-sql image and the r image
    new = {"python-sql": "ghcr.io/hubkit/python-sql-notebook:2", "r": IMAGES["r"]}
    write_images_file(path, new, catalog.profiles)
    # Then the next start runs the new image and r is offered
    assert 'value="r"' in spawner.render_profile_form()
    assert (await create(spawner, client, {"profile": "python-sql"}))["image"] == new["python-sql"]
    # And a file broken by hand keeps the last images, the hub's log saying why
    path.write_text("{oops")
    assert spawner.available_profiles() == ["python-sql", "r"]
    assert "not valid JSON" in spawner.images_problem()
    # And so does a file the hub cannot read (a link to itself stands in for permissions,
    # which root ignores), every time it is asked, not only the first
    path.unlink()
    path.symlink_to(path)
    for _ in range(2):
        assert spawner.available_profiles() == ["python-sql", "r"]
        assert f"{path}: cannot read it (Too many levels" in spawner.images_problem()


async def test_a_shared_projects_server_gets_the_projects_own_home_volume(catalog, client):
    # Given the account of the hub policy's project "analytics" (hubkit.hub.projects)
    spawner = make_spawner(catalog)
    spawner.user.name, spawner.user.url = "project-analytics", "/user/project-analytics/"
    # When its server is created
    host = (await create(spawner, client, {"profile": "python-sql"}))["host_config"]
    # Then its home is the project's volume, named as users' are (DockerSpawner escapes "-"
    # in names as "-2d"), which no user's can be: no login starts with "project-"
    assert host["Binds"] == ["hubkit-home-project-2danalytics:/home/jovyan:rw"]
