"""Tests for docker-compose.yaml: the Compose specification's schema, the routing and
security rules, and that every setting comes from stack.env.

compose-spec.json is vendored from github.com/compose-spec/compose-spec (schema/compose-spec.json
at commit 170098ba07d9f53c383a41bfd4c5166b0a4529a6), licensed Apache-2.0.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests import ROOT

SCHEMA = Path(__file__).with_name("compose-spec.json")
COMPOSE = ROOT / "docker-compose.yaml"
SECRET_NAME = re.compile(r"(PASSWORD|TOKEN|SECRET|_KEY)$")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_valid_against_the_compose_specification(compose):
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []


def test_schema_rejects_a_broken_file():
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    assert list(validator.iter_errors({"services": {"hub": {"depends_on": 5}}}))


def test_only_the_proxy_is_routed_by_traefik(compose):
    services = compose["services"]
    labelled = [name for name, s in services.items() if s.get("labels")]
    assert labelled == ["proxy"]
    command = services["traefik"]["command"]
    assert "--providers.docker.exposedbydefault=false" in command
    assert any("certificatesresolvers.letsencrypt.acme.email=${ACME_EMAIL:?" in c for c in command)
    labels = services["proxy"]["labels"]
    assert "traefik.enable=true" in labels
    assert any("rule=Host(`${JUPYTER_DOMAIN:?" in label for label in labels)
    assert "traefik.http.routers.hubkit.tls.certresolver=letsencrypt" in labels
    assert "traefik.http.middlewares.hubkit-compress.compress=true" in labels
    assert any("headers.stsSeconds=" in label for label in labels)
    assert any("headers.contentTypeNosniff=true" in label for label in labels)
    assert "traefik.http.routers.hubkit.middlewares=hubkit-compress,hubkit-headers" in labels


def default_image(image: str) -> str:
    """The upstream image of `${HUBKIT_X_IMAGE:-upstream}`."""
    match = re.fullmatch(r"\$\{(HUBKIT_\w+_IMAGE):-([^}]+)\}", image)
    assert match, f"{image!r} is not set by a HUBKIT_*_IMAGE variable with a default"
    return match[2]


def test_third_party_images_are_variables_defaulting_to_pinned_upstream_images(compose):
    for name, service in compose["services"].items():
        image = service.get("image", "")
        if "build" in service:
            assert "latest" not in image
            continue
        upstream = default_image(image)
        assert re.search(r":[\w.-]*\d", upstream), f"{name}: {upstream!r} has no version tag"
    proxy = default_image(compose["services"]["proxy"]["image"])
    assert proxy.startswith("quay.io/jupyterhub/configurable-http-proxy:")
    chp = json.loads((ROOT / "hub/proxy/package.json").read_text())
    version = chp["dependencies"]["configurable-http-proxy"]
    assert proxy.endswith(f":{version}")
    hub_base = compose["services"]["hub"]["build"]["args"]["PYTHON_IMAGE"]
    assert default_image(hub_base).startswith("docker.io/library/python:")


def test_hub_waits_for_a_healthy_database_and_shares_the_network(compose):
    hub, postgres = compose["services"]["hub"], compose["services"]["postgres"]
    assert hub["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert "${HUBKIT_DOCKER_SOCKET:-/var/run/docker.sock}:/var/run/docker.sock" in hub["volumes"]
    assert hub["build"]["dockerfile"] == "images/hub/Dockerfile"
    assert compose["networks"]["hubkit"]["driver"] == "bridge"
    assert compose["networks"]["hubkit"]["name"] == "${HUBKIT_DOCKER_NETWORK:-hubkit}"
    # The database is not on the users' network; the hub is on both.
    assert postgres["networks"] == ["internal"]
    assert sorted(hub["networks"]) == ["hubkit", "internal"]
    assert hub["environment"]["HUBKIT_DOCKER_NETWORK"] == "${HUBKIT_DOCKER_NETWORK:-hubkit}"
    for volume in ("hub-data", "postgres-data"):
        assert volume in compose["volumes"]
    assert any(v.startswith("postgres-data:") for v in postgres["volumes"])
    assert any(v.startswith("hub-data:") for v in hub["volumes"])


def test_hub_gets_what_its_configuration_requires_in_docker_mode(compose):
    env = compose["services"]["hub"]["environment"]
    assert env["HUBKIT_SPAWNER"] == "docker"
    assert env["HUBKIT_PROXY_EXTERNAL"] == "true"
    assert env["CONFIGPROXY_API_URL"] == "http://proxy-api:8001"
    assert env["JUPYTERHUB_DB_URL"].startswith("postgresql+psycopg://")
    assert env["HUBKIT_IMAGES"] == "/etc/hubkit/images.json"
    config = (ROOT / "hub/jupyterhub_config.py").read_text()
    required = set(re.findall(r"require_env\(\s*[\"'](\w+)[\"']", config))
    assert required, "hub/jupyterhub_config.py requires nothing?"
    # a secret is set as a file: NAME_FILE
    given = {name.removesuffix("_FILE") for name in env}
    assert required <= given, f"not set for the hub: {sorted(required - given)}"
    read = set(re.findall(r"(?:environ\.get|env_int|env_bool)\(\s*[\"'](\w+)[\"']", config))
    local_only = {"HUBKIT_CHP", "HUBKIT_HOMES_DIR", "HUBKIT_KEEP_SERVERS"}
    assert read - local_only <= set(env), f"not passed: {sorted(read - local_only - set(env))}"


OPTIONAL_SECRETS = {"${ANTHROPIC_API_KEY:-}\n", "${OPENAI_API_KEY:-}\n"}


def test_no_credential_is_written_in_compose(compose):
    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                yield from walk(value, [*path, str(key)])
        elif isinstance(node, list):
            for item in node:
                yield from walk(item, path)
        else:
            yield path, str(node)

    for path, value in walk(compose, []):
        if SECRET_NAME.search(path[-1]) or path[-1] == "content":
            # Required, or (the AI vendors' keys) optional and empty by default.
            assert re.fullmatch(r"\$\{\w+:\?[^}]+\}", value) or value in OPTIONAL_SECRETS, (
                f"{'.'.join(path)} = {value!r}"
            )
        assert not re.search(r"(?i)password=\w", value), f"{'.'.join(path)} has a password"
    # Secrets reach the services as files, never as variables (`docker inspect` shows those).
    for name, service in compose["services"].items():
        env = service.get("environment", {})
        leaked = [k for k, v in env.items() if "${" in str(v) and SECRET_NAME.search(k)]
        assert leaked == [], f"{name}: {leaked}"
    hub = compose["services"]["hub"]
    assert "POSTGRES_PASSWORD" not in hub["environment"]["JUPYTERHUB_DB_URL"]
    mounted = {c["source"] for c in hub["configs"]}
    assert {"proxy-token", "postgres-password", "jupyter-password"} <= mounted
    assert all(c["mode"] == 0o400 and c["uid"] == "1000" for c in hub["configs"])


def test_required_settings_stop_compose_with_a_message():
    text = COMPOSE.read_text()
    required = dict(re.findall(r"\$\{(\w+):\?([^}]+)\}", text))
    for name in (
        "CONFIGPROXY_AUTH_TOKEN",
        "POSTGRES_PASSWORD",
        "JUPYTER_PASSWORD",
        "JUPYTER_ADMIN_USER",
        "JUPYTER_DOMAIN",
        "ACME_EMAIL",
        "HUBKIT_METRICS_TOKEN",
        "GRAFANA_ADMIN_PASSWORD",
    ):
        assert name in required, f"{name} is not required"
        assert "stack.env" in required[name]


def test_no_config_is_empty_when_its_optional_variable_is(compose):
    """Compose mounts a config whose content is empty as a directory: the hub then stops, unable
    to read the key file, when stack.env leaves an optional key (ANTHROPIC_API_KEY) empty."""
    for name, config in compose["configs"].items():
        with_empty_optionals = re.sub(r"\$\{\w+:-[^}]*\}", "", config["content"])
        assert with_empty_optionals, f"config {name} is empty when its variable is"


def test_monitoring_profile_scrapes_hub_metrics_with_the_token(compose):
    services = compose["services"]
    for name in ("prometheus", "grafana", "cadvisor"):
        assert services[name]["profiles"] == ["monitoring"]
    core = [n for n, s in services.items() if "profiles" not in s]
    assert sorted(core) == ["hub", "postgres", "proxy", "traefik"]
    prometheus = yaml.safe_load((ROOT / "monitoring/prometheus/prometheus.yml").read_text())
    hub_job = next(j for j in prometheus["scrape_configs"] if j["job_name"] == "jupyterhub")
    assert hub_job["metrics_path"] == "/hub/metrics"
    assert hub_job["static_configs"][0]["targets"] == ["hub:8081"]
    token_file = hub_job["authorization"]["credentials_file"]
    mounted = services["prometheus"]["configs"][0]
    assert mounted["target"] == token_file
    assert compose["configs"][mounted["source"]]["content"].startswith("${HUBKIT_METRICS_TOKEN:?")
    for volume in services["prometheus"]["volumes"] + services["grafana"]["volumes"]:
        source = volume.split(":")[0]
        if source.startswith("./"):
            assert (ROOT / source).exists(), f"{source} is mounted but missing"


def test_grafana_dashboard_is_provisioned_and_uses_the_datasource():
    datasource = yaml.safe_load(
        (ROOT / "monitoring/grafana/provisioning/datasources/prometheus.yaml").read_text()
    )["datasources"][0]
    assert datasource["url"] == "http://prometheus:9090"
    provider = yaml.safe_load(
        (ROOT / "monitoring/grafana/provisioning/dashboards/hubkit.yaml").read_text()
    )["providers"][0]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    dashboard = json.loads((ROOT / "monitoring/grafana/dashboards/hubkit.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    for metric in (
        "jupyterhub_total_users",
        "jupyterhub_active_users",
        "jupyterhub_running_servers",
        "container_memory_working_set_bytes",
    ):
        assert any(metric in e for e in exprs), metric
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == datasource["uid"], panel["title"]
