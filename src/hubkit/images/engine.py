"""The one seam between hubkit and a container engine (as repo2docker's ContainerEngine).

Everything above it (plan, checks, smoke-test orchestration, the built-images file) is plain
Python tested without Docker; tests substitute a recording engine for `DockerEngine`.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import hashlib
import shutil
import subprocess
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .plan import BuildStep


class EngineError(Exception):
    """The engine is missing or a command failed; the message says which and why."""


@dataclass(frozen=True)
class RunResult:
    returncode: int
    output: str


class ContainerEngine(ABC):
    """What hubkit needs from a container engine."""

    name = "engine"

    @abstractmethod
    def check_available(self) -> None:
        """Raise EngineError saying what is missing (the client, the daemon, a plugin)."""

    @abstractmethod
    def build(self, step: BuildStep, platform: str) -> None:
        """Build one step of an image for one platform into the local image store, showing
        progress; the plan orders the steps so each one's FROM is already there."""

    @abstractmethod
    def bake(self, bake_file: Path, targets: Sequence[str], platform: str | None) -> None:
        """Build several images at once from a bake file (`docker buildx bake`)."""

    @abstractmethod
    def image_exists(self, image: str) -> bool:
        """Whether the image is in the local image store."""

    @abstractmethod
    def run(
        self,
        image: str,
        argv: Sequence[str],
        mounts: Mapping[Path, str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> RunResult:
        """Run a command in a throwaway container; return its exit code and output."""

    @abstractmethod
    def compose(self, args: Sequence[str], cwd: Path) -> None:
        """Run `docker compose <args>` in cwd."""


class DockerEngine(ContainerEngine):
    """The Docker CLI with BuildKit (buildx) and the compose plugin."""

    name = "docker"

    def __init__(self, executable: str = "docker", extra_ca: Path | None = None) -> None:
        self.executable = executable
        self.extra_ca = extra_ca

    def extra_ca_args(self, prefix: str = "") -> list[str]:
        """The build secret `extra-ca` (images/base/hubkit-extra-ca), with its digest as a build
        argument: a secret's content is not in the build cache's key."""
        if not self.extra_ca:
            return []
        digest = hashlib.sha256(self.extra_ca.read_bytes()).hexdigest()[:16]
        if prefix:  # bake: --set <targets>.secrets=..., --set <targets>.args.NAME=...
            return [
                "--set",
                f"{prefix}.secrets=id=extra-ca,src={self.extra_ca}",
                "--set",
                f"{prefix}.args.EXTRA_CA_DIGEST={digest}",
            ]
        return [
            "--secret",
            f"id=extra-ca,src={self.extra_ca}",
            "--build-arg",
            f"EXTRA_CA_DIGEST={digest}",
        ]

    def _run(self, args: Sequence[str], **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run([self.executable, *args], **kwargs)

    def check_available(self) -> None:
        if not shutil.which(self.executable):
            raise EngineError(
                f"Docker is not installed: `{self.executable}` is not on PATH. Install Docker "
                "Engine with the buildx and compose plugins (https://docs.docker.com/engine/install/)"
                ", or use local mode: `hubkit local up`"
            )
        info = self._run(["info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True)
        if info.returncode != 0:
            raise EngineError(
                "Docker is installed but its daemon does not answer (is it running, and may "
                f"this user use it?): {(info.stderr or info.stdout).strip()}"
            )

    def build(self, step: BuildStep, platform: str) -> None:
        args = ["build", "--platform", platform, "-f", str(step.dockerfile), "-t", step.image]
        for key, value in step.build_args.items():
            args += ["--build-arg", f"{key}={value}"]
        args += self.extra_ca_args()
        args += ["--label", f"io.hubkit.profile={step.slug}"]
        args += ["--label", f"io.hubkit.digest={step.digest}", str(step.context)]
        if self._run(args).returncode != 0:
            raise EngineError(f"docker build of {step.image} ({platform}) failed: see above")

    def bake(self, bake_file: Path, targets: Sequence[str], platform: str | None) -> None:
        args = ["buildx", "bake", "-f", str(bake_file), "--load"]
        if platform:
            args += ["--set", f"*.platform={platform}"]
        args += self.extra_ca_args("*")
        if self._run([*args, *targets]).returncode != 0:
            raise EngineError(f"docker buildx bake of {', '.join(targets)} failed: see above")

    def image_exists(self, image: str) -> bool:
        return self._run(["image", "inspect", image], capture_output=True).returncode == 0

    def run(self, image, argv, mounts=None, env=None) -> RunResult:
        args = ["run", "--rm"]
        for host, target in (mounts or {}).items():
            args += ["-v", f"{host}:{target}:ro"]
        for key, value in (env or {}).items():
            args += ["-e", f"{key}={value}"]
        result = self._run(
            [*args, image, *argv], capture_output=True, text=True, stdin=subprocess.DEVNULL
        )
        return RunResult(result.returncode, result.stdout + result.stderr)

    def compose(self, args, cwd) -> None:
        if self._run(["compose", *args], cwd=cwd).returncode != 0:
            raise EngineError(f"docker compose {' '.join(args)} failed: see above")
