"""Tests for the images built for real: the PyPI flavour of python-sql (built FROM the Debian 13
base made here, smoke-tested with nbval inside it by `hubkit images build`) and the hub image
from images/hub/Dockerfile on the stand-in Python base."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import re

from hubkit.catalog import load_catalog
from hubkit.envs.pypi import pip_requirements
from hubkit.envs.spec import load_spec
from hubkit.images.engine import DockerEngine
from tests import ROOT

from .engine import Docker
from .stack import make_tls, set_values


def test_pypi_image_is_recorded_for_the_hub(user_images):
    # `hubkit images build --flavour pypi` succeeded (its nbval smoke run included) and wrote
    # the file the hub reads
    image = user_images.images["python-sql"]
    assert image.startswith("hubkit/python-sql-notebook:") and image.endswith("-pypi")
    print(f"\npython-sql (pypi): built and smoke-tested in {user_images.seconds:.0f} s")


def test_pypi_image_has_the_conda_images_layout(docker: Docker, user_images):
    image = user_images.images["python-sql"]
    [info] = docker.inspect(image)
    config = info["Config"]
    # the jovyan user, the healthcheck, tini, the start hook (first login's welcome files) and
    # jupyterhub-singleuser, as every image
    assert config["User"] == "1000"
    assert config["Healthcheck"]["Test"] == ["CMD", "/usr/local/bin/hubkit-healthcheck"]
    assert config["Entrypoint"] == ["tini", "-g", "--", "hubkit-start"]
    assert config["Cmd"] == ["jupyterhub-singleuser"]
    env = dict(line.split("=", 1) for line in config["Env"])
    assert env["HUBKIT_PROFILE"] == "python-sql"
    assert env["PATH"].startswith("/opt/envs/python/bin:")
    # the same prefix, the same kernelspecs and server config, the manifest
    script = (
        "import json, pathlib, sys; "
        "k = json.load(open('/opt/hubkit/share/jupyter/kernels/python3/kernel.json')); "
        "m = json.load(open('/opt/hubkit/manifest.json')); "
        "print(json.dumps({'argv0': k['argv'][0], 'kernels': m['kernels'], "
        "'pip': sorted(m['prefixes']['/opt/envs/python']['pip']), "
        "'config': sorted(p.name for p in pathlib.Path('/opt/hubkit/etc/jupyter').iterdir()), "
        "'exe': sys.executable, 'user': __import__('os').getuid()}))"
    )
    facts = json.loads(docker.out("run", "--rm", image, "python", "-c", script))
    assert facts["argv0"] == "/opt/envs/python/bin/python"
    assert facts["exe"] == "/opt/envs/python/bin/python"
    assert facts["kernels"] == ["python3"]
    assert facts["config"], "no server config written"
    assert facts["user"] == 1000
    # every package of the spec chain's pip translation is installed (the same list as local
    # mode, not a second one)
    catalog = load_catalog(ROOT / "catalog.yaml")
    wanted = pip_requirements([load_spec(e.spec_file) for e in catalog.chain("sql")])
    names = {n.lower().replace("_", "-") for n in facts["pip"]}
    for requirement in wanted:
        name = requirement.split("=")[0].split(">")[0].split("<")[0].split("[")[0].strip()
        assert name.lower().replace("_", "-") in names, name
    # the project's JupyterLab extension is installed, enabled and compatible, as are all the
    # others, and its server extension is on
    listing = docker.out(
        "run",
        "--rm",
        image,
        "sh",
        "-c",
        "jupyter labextension list 2>&1; jupyter server extension list 2>&1",
    )
    listing = re.sub(r"\x1b\[[0-9;]*m", "", listing)
    assert re.search(r"^\s+@hubkit/lab v\S+ enabled OK", listing, re.M), listing
    assert "incompatible" not in listing and not re.search(r"\benabled\s+X\b", listing), listing
    assert re.search(r"^\s+hubkit_lab enabled\s*$", listing, re.M), listing
    size = info["Size"] / 1e9
    print(f"\npython-sql (pypi): {size:.2f} GB")


def pem_body(path) -> str:
    """The base64 lines of a PEM certificate, as a bundle holds them."""
    return "".join(line for line in path.read_text().splitlines() if "-----" not in line)


def test_an_extra_ca_certificate_is_trusted_by_the_builds_and_the_images(
    docker: Docker, debian: str, standins: dict[str, str], tmp_path
):
    # Given the CA of a network that intercepts TLS (a local one made here)
    ca = make_tls(tmp_path / "tls")
    body = pem_body(ca)
    # When the first stage of every single-user image is built with it, as `hubkit images
    # build --extra-ca-cert` passes it (apt installs ca-certificates there, which rebuilds the
    # system bundle)
    tag = "hubkit-test/extra-ca-os:1"
    docker.run(
        "build", "-q", "--target", "os", "-f", str(ROOT / "images/base/Dockerfile"),
        "--build-arg", f"ROOT_IMAGE={debian}", *DockerEngine(extra_ca=ca).extra_ca_args(),
        "-t", tag, str(ROOT),
    )  # fmt: skip
    # Then the system bundle (apt, Python's ssl) holds it and pip, npm and conda use that bundle
    bundle = "/etc/ssl/certs/ca-certificates.crt"
    script = f"tr -d '\\n' < {bundle}; echo; cat /etc/pip.conf /etc/npmrc /etc/conda/.condarc"
    out = docker.out("run", "--rm", tag, "sh", "-c", script)
    assert body in out
    assert f"cert = {bundle}" in out and f"cafile={bundle}" in out
    assert f"ssl_verify: {bundle}" in out
    # And so do the kernels' conda OpenSSL, httpx and requests (they default to certifi's)
    out = docker.out("run", "--rm", tag, "sh", "-c", "echo $SSL_CERT_FILE $REQUESTS_CA_BUNDLE")
    assert out == f"{bundle} {bundle}"
    # When compose builds the hub image with HUBKIT_EXTRA_CA_CERT in stack.env
    env_file = tmp_path / "stack.env"
    env_file.write_text((ROOT / "example-stack.env").read_text())
    set_values(
        env_file,
        {
            "HUBKIT_DOCKER_GID": "0",
            "HUBKIT_EXTRA_CA_CERT": str(ca),
            "HUBKIT_HUB_TAG": "extra-ca-test",
            "HUBKIT_HUB_BASE_IMAGE": standins["python"],
        },
    )
    docker.run("compose", "-p", "hubkit-ca", "--env-file", str(env_file), "build", "hub", cwd=ROOT)
    # Then the hub's Python trusts it by default (its pip too)
    check = (
        "import ssl; print(sorted({dict(n[0] for n in c['subject']).get('commonName') "
        "for c in ssl.create_default_context().get_ca_certs()} & {'hubkit test CA'}))"
    )
    image = "hubkit/hub:extra-ca-test"
    assert docker.out("run", "--rm", image, "python", "-c", check) == "['hubkit test CA']"
    assert "cert='/etc/ssl/certs/ca-certificates.crt'" in docker.out(
        "run", "--rm", image, "python", "-m", "pip", "config", "list"
    )
    docker.run("rmi", tag, image, check=False)
