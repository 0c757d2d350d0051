"""JupyterHub configuration for hubkit: the same file in production (Docker) and local mode.

Everything deployment-specific comes from the environment (stack.env in production; set by
`hubkit local up` in local mode); every variable read here is documented in example-stack.env.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

import os
import sys
from pathlib import Path

from hubkit.hub.database import wait_for_database
from hubkit.hub.settings import env_bool, env_int, require_env
from hubkit.images.build import ImageError, read_images_file

c = get_config()  # noqa: F821 (injected by JupyterHub)

mode = os.environ.get("HUBKIT_SPAWNER", "docker")

# --- Accounts -------------------------------------------------------------------------------
admin = require_env("JUPYTER_ADMIN_USER")
c.JupyterHub.authenticator_class = "hubkit-native"
c.Authenticator.admin_users = {admin}
# Who may log in is decided by NativeAuthenticator (signup + admin approval), not a list.
c.Authenticator.allow_all = True
c.HubkitAuthenticator.admin_password = require_env("JUPYTER_PASSWORD")
c.HubkitAuthenticator.open_signup = env_bool("HUBKIT_OPEN_SIGNUP", False)
c.HubkitAuthenticator.minimum_password_length = env_int("HUBKIT_MIN_PASSWORD_LENGTH", 10)
c.HubkitAuthenticator.check_common_password = True
c.HubkitAuthenticator.allowed_failed_logins = env_int("HUBKIT_ALLOWED_FAILED_LOGINS", 5)
c.HubkitAuthenticator.seconds_before_next_try = env_int("HUBKIT_LOCKOUT_SECONDS", 600)
c.HubkitAuthenticator.allow_2fa = env_bool("HUBKIT_ALLOW_2FA", True)

# --- Hub state and proxy ----------------------------------------------------------------------
c.JupyterHub.db_url = os.environ.get("JUPYTERHUB_DB_URL", "sqlite:///jupyterhub.sqlite")
# In compose the hub may start before PostgreSQL is ready: wait a bounded time, then exit with
# one line naming JUPYTERHUB_DB_URL and the host instead of a traceback.
wait_for_database(c.JupyterHub.db_url, env_int("HUBKIT_DB_WAIT_SECONDS", 60))
c.JupyterHub.bind_url = os.environ.get("JUPYTERHUB_BIND_URL", "http://127.0.0.1:8000")
c.JupyterHub.cookie_secret_file = os.environ.get(
    "JUPYTERHUB_COOKIE_SECRET_FILE", "jupyterhub_cookie_secret"
)
c.JupyterHub.hub_bind_url = os.environ.get("JUPYTERHUB_HUB_BIND_URL", "http://127.0.0.1:8081")
c.ConfigurableHTTPProxy.auth_token = require_env("CONFIGPROXY_AUTH_TOKEN")
c.ConfigurableHTTPProxy.api_url = os.environ.get("CONFIGPROXY_API_URL", "http://127.0.0.1:8001")
if env_bool("HUBKIT_PROXY_EXTERNAL", False):
    # Production: the proxy runs in its own container and keeps routes across hub restarts.
    c.ConfigurableHTTPProxy.should_start = False
else:
    c.ConfigurableHTTPProxy.command = [os.environ.get("HUBKIT_CHP", "configurable-http-proxy")]
c.JupyterHub.cleanup_servers = False

# --- Spawner ----------------------------------------------------------------------------------
if mode == "local":
    c.JupyterHub.spawner_class = "hubkit-local"
    if homes := os.environ.get("HUBKIT_HOMES_DIR"):
        c.LocalProfileSpawner.home_dir_template = os.path.join(homes, "{username}")
elif mode == "docker":
    c.JupyterHub.spawner_class = "hubkit-docker"
    c.JupyterHub.hub_ip = "0.0.0.0"
    c.JupyterHub.hub_connect_ip = require_env("HUBKIT_HUB_HOST")
    c.DockerProfileSpawner.network_name = require_env("HUBKIT_DOCKER_NETWORK")
    c.DockerProfileSpawner.remove = True
    c.DockerProfileSpawner.volumes = {"hubkit-home-{username}": "/home/jovyan"}
    try:
        c.DockerProfileSpawner.images = read_images_file(Path(require_env("HUBKIT_IMAGES")))
    except ImageError as e:
        raise SystemExit(f"HUBKIT_IMAGES: {e}") from None
else:
    raise SystemExit(f"HUBKIT_SPAWNER must be 'local' or 'docker', not {mode!r}")
c.Spawner.start_timeout = env_int("HUBKIT_START_TIMEOUT", 120)
c.Spawner.http_timeout = env_int("HUBKIT_HTTP_TIMEOUT", 60)
if quota := os.environ.get("HUBKIT_HOME_QUOTA", "").strip():
    c.Spawner.home_quota = quota

# Bigger sizes for some users: members of these groups get the extra choices (admins add
# members in the admin panel; the group property `hubkit_sizes` adds more at run time).
group_sizes = {
    "power-users": {
        "large": {"display_name": "Large: 4 CPUs, 8 GB", "cpu_limit": 4.0, "mem_limit": "8G"}
    }
}
if env_bool("HUBKIT_GPU", False):
    group_sizes["gpu-users"] = {
        "gpu": {
            "display_name": "GPU: 4 CPUs, 16 GB, all GPUs",
            "cpu_limit": 4.0,
            "mem_limit": "16G",
            "gpu": True,
        }
    }
c.Spawner.group_sizes = group_sizes
c.JupyterHub.load_groups = {name: {"users": []} for name in [*group_sizes, "monitoring"]}

# --- Services and roles: least privilege, never admin ------------------------------------------
c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": [
            sys.executable,
            "-m",
            "jupyterhub_idle_culler",
            f"--timeout={env_int('HUBKIT_CULL_TIMEOUT', 3600)}",
            f"--cull-every={env_int('HUBKIT_CULL_EVERY', 300)}",
        ],
    }
]
CULLER_SCOPES = ["list:users", "read:users:activity", "read:servers", "delete:servers"]
c.JupyterHub.load_roles = [
    {"name": "idle-culler", "scopes": CULLER_SCOPES, "services": ["idle-culler"]},
    {
        # Read-only: dashboards, the admin panel and the usage page, without any write scope.
        "name": "monitoring",
        "description": "See users, servers, groups, services and metrics; change nothing.",
        "scopes": [
            "admin-ui",
            "list:users",
            "read:users",
            "list:groups",
            "read:groups",
            "list:services",
            "read:services",
            "read:servers",
            "read:metrics",
            "read:hub",
        ],
        "groups": ["monitoring"],
    },
]
if cull_users_after := env_int("HUBKIT_CULL_USERS_AFTER", 0):
    # Optional: delete accounts unused for this long (their login; home volumes stay). A culler
    # of its own, because jupyterhub-idle-culler applies one timeout to servers and users alike.
    c.JupyterHub.services.append(
        {
            "name": "account-culler",
            "command": [
                sys.executable,
                "-m",
                "jupyterhub_idle_culler",
                "--cull-users=True",
                "--cull-admin-users=False",
                f"--timeout={cull_users_after}",
                f"--cull-every={env_int('HUBKIT_CULL_EVERY', 300)}",
            ],
        }
    )
    c.JupyterHub.load_roles.append(
        {
            "name": "account-culler",
            "description": "Delete accounts unused for HUBKIT_CULL_USERS_AFTER seconds.",
            # admin:users is the only scope that deletes users; admins are never culled.
            "scopes": [*CULLER_SCOPES, "admin:users"],
            "services": ["account-culler"],
        }
    )
if metrics_token := os.environ.get("HUBKIT_METRICS_TOKEN", "").strip():
    # Prometheus scrapes /hub/metrics with this token (bearer_token in its scrape config).
    c.JupyterHub.services.append({"name": "metrics", "api_token": metrics_token})
    c.JupyterHub.load_roles.append(
        {"name": "metrics", "scopes": ["read:metrics"], "services": ["metrics"]}
    )
