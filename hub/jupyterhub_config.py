"""JupyterHub configuration for hubkit: the same file in production (Docker) and local mode.

Everything deployment-specific comes from the environment (stack.env in production; set by
`hubkit local up` in local mode); every variable read here is documented in example-stack.env.
What users may choose and who may do what (sizes, groups, roles, the scopes of the hub's
services) is the hub policy, hub/policy.yaml (HUBKIT_POLICY), checked here at every start.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

import contextlib
import os
import sys
from pathlib import Path

from jupyterhub.roles import get_default_roles

from hubkit.hub import projects
from hubkit.hub.database import wait_for_database
from hubkit.hub.group_shares import include_group_shares_in_tokens
from hubkit.hub.projects import PAGES
from hubkit.hub.settings import env_bool, env_int, require_env, secret_env
from hubkit.imagesfile import VARIABLE as IMAGES_VARIABLE
from hubkit.imagesfile import watched_images_file
from hubkit.policy import (
    PolicyError,
    default_policy_path,
    load_policy,
)

c = get_config()  # noqa: F821 (injected by JupyterHub)

try:
    policy = load_policy(default_policy_path(Path(__file__).resolve().parent.parent))
except PolicyError as e:
    raise SystemExit(f"hub policy: {e}") from None

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
if os.environ.get("POSTGRES_PASSWORD_FILE"):
    # Compose gives the URL without its password and the password as a file.
    from sqlalchemy.engine import make_url

    c.JupyterHub.db_url = (
        make_url(c.JupyterHub.db_url)
        .set(password=secret_env("POSTGRES_PASSWORD"))
        .render_as_string(hide_password=False)
    )
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
    # Its routes live in its memory: when it restarts, the hub's periodic route check puts them
    # back. Every 10 s instead of 5 min, so users see "Redirect loop detected" for seconds at
    # most (one GET of the routing table and one database commit each time).
    c.JupyterHub.last_activity_interval = 10
else:
    c.ConfigurableHTTPProxy.command = [os.environ.get("HUBKIT_CHP", "configurable-http-proxy")]
# Production: user servers outlive a hub restart (the proxy keeps their routes). Local mode:
# stopping the hub (Ctrl-C on `./stack up`) stops them too, unless HUBKIT_KEEP_SERVERS.
c.JupyterHub.cleanup_servers = mode == "local" and not env_bool("HUBKIT_KEEP_SERVERS", False)

# --- Spawner ----------------------------------------------------------------------------------
if mode == "local":
    c.JupyterHub.spawner_class = "hubkit-local"
    if homes := os.environ.get("HUBKIT_HOMES_DIR"):
        c.LocalProfileSpawner.home_dir_template = os.path.join(homes, "{username}")
elif mode == "docker":
    c.JupyterHub.spawner_class = "hubkit-docker"
    c.JupyterHub.hub_ip = "0.0.0.0"
    c.JupyterHub.hub_connect_ip = require_env("HUBKIT_HUB_HOST")
    # Browsers reach this hub only over HTTPS (traefik): its session and login cookies are
    # Secure because it sees X-Forwarded-Proto: https; the _xsrf cookie is too, explicitly.
    c.JupyterHub.tornado_settings = {"xsrf_cookie_kwargs": {"secure": True}}
    c.DockerProfileSpawner.network_name = require_env("HUBKIT_DOCKER_NETWORK")
    # Read again whenever it changes (a new build needs no restart). Missing or broken, the
    # hub still starts, says why here and on the spawn form, and offers no profile until it is
    # fixed: stopping would only have Docker restart it into the same error.
    c.DockerProfileSpawner.images_file = require_env(IMAGES_VARIABLE)
    images = watched_images_file(c.DockerProfileSpawner.images_file)
    if not images.images() and images.problem:
        print(f"{IMAGES_VARIABLE}: {images.problem}", file=sys.stderr)
else:
    raise SystemExit(f"HUBKIT_SPAWNER must be 'local' or 'docker', not {mode!r}")
# The shared datasets folder and the admin's notebook templates (local mode has defaults).
# Docker mounts them from the host: a relative path would be taken for a volume's name.
for variable, trait in (
    ("HUBKIT_DATASETS_DIR", "datasets_dir"),
    ("HUBKIT_TEMPLATES_DIR", "templates_dir"),
):
    if folder := os.environ.get(variable, "").strip():
        if mode == "docker" and not os.path.isabs(folder):
            raise SystemExit(
                f"{variable} must be an absolute folder on the Docker host, not {folder!r}"
            )
        setattr(c.Spawner, trait, folder)
# Defaults: example-stack.env's values (tests/compose/test_defaults.py compares them).
c.Spawner.start_timeout = env_int("HUBKIT_START_TIMEOUT", 600)
c.Spawner.http_timeout = env_int("HUBKIT_HTTP_TIMEOUT", 120)
if quota := os.environ.get("HUBKIT_HOME_QUOTA", "").strip():
    c.Spawner.home_quota = quota

# Sizes for everyone and for members of the policy's groups, which the hub creates at start.
c.Spawner.sizes = policy.sizes
c.Spawner.group_sizes = policy.group_sizes()
c.Spawner.offer_gpu_sizes = env_bool("HUBKIT_GPU", False)
c.JupyterHub.load_groups = {name: {"users": []} for name in policy.groups}
# Shared projects (policy `projects`): the hub creates each project's account, group and role
# (hubkit.hub.projects) at start and re-reads the policy every HUBKIT_PROJECTS_SYNC_SECONDS, so
# members added or removed need no restart. The groups exist before the roles name them.
c.JupyterHub.load_groups.update({p.account: {} for p in policy.projects.values()})
c.ProjectSync.policy_file = str(policy.path)
c.ProjectSync.interval = env_int("HUBKIT_PROJECTS_SYNC_SECONDS", 10)
# The home page lists the user's projects (and, for admins, what the policy got wrong).
c.JupyterHub.template_paths = [str(PAGES)]
c.JupyterHub.template_vars = {
    "hubkit_projects": projects.for_user,
    "hubkit_project_problems": projects.problems_for,
}
# Database connections shared with users and groups; their passwords come from stack.env.
unset = [
    c.password_env
    for c in policy.connections.values()
    if c.password_env and not secret_env(c.password_env)
]
if unset:
    raise SystemExit(
        f"hub policy: {policy.path}: connections need {', '.join(unset)}: add them to "
        "stack.env (see example-stack.env)"
    )
c.Spawner.shared_connections = {name: conn.entry() for name, conn in policy.connections.items()}

# --- Services and roles: least privilege, never admin; scopes from the policy -----------------
# A server shared with a group lets its members in (JupyterHub 6.1.1 leaves group shares out of
# their tokens' scopes; hubkit.hub.group_shares says how this fixes it).
include_group_shares_in_tokens()
cull_every = f"--cull-every={env_int('HUBKIT_CULL_EVERY', 300)}"
c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": [
            sys.executable,
            "-m",
            "jupyterhub_idle_culler",
            f"--timeout={env_int('HUBKIT_CULL_TIMEOUT', 3600)}",
            cull_every,
        ],
    }
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
                cull_every,
            ],
        }
    )
if metrics_token := secret_env("HUBKIT_METRICS_TOKEN"):
    # Prometheus scrapes /hub/metrics with this token (bearer_token in its scrape config).
    c.JupyterHub.services.append({"name": "metrics", "api_token": metrics_token})
# Scopes every user gets beyond the policy's `user` role (the AI gateway's access).
user_scopes: list[str] = []
if env_bool("HUBKIT_AI", True):
    # The AI gateway (hubkit.hub.ai_gateway) holds the vendors' keys; users' servers reach it
    # with their own hub token, which gets the one scope that allows it. Off (no
    # Spawner.ai_gateway_url), servers start without jupyter-ai and the AI actions
    # (AIAssistMixin.ai_off_environment).
    from prometheus_client import REGISTRY

    from hubkit.hub.ai_gateway.spawner import ACCESS_SCOPE, SERVICE
    from hubkit.hub.ai_gateway.store import UsageCollector, UsageStore

    gateway_url = os.environ.get("HUBKIT_AI_GATEWAY_URL") or (
        "http://127.0.0.1:8082" if mode == "local" else f"http://{c.JupyterHub.hub_connect_ip}:8082"
    )
    ai_db_url = os.environ.get("HUBKIT_AI_DB_URL") or (
        c.JupyterHub.db_url
        if c.JupyterHub.db_url.startswith("postgresql")
        else f"sqlite:///{os.path.abspath('ai-usage.sqlite')}"
    )
    gateway_args = [f"--AIGateway.policy_file={policy.path}"]
    for vendor in ("anthropic", "openai"):
        if upstream := os.environ.get(f"HUBKIT_AI_{vendor.upper()}_URL"):
            gateway_args.append(f"--AIGateway.{vendor}_url={upstream}")
    if ai_timeout := os.environ.get("HUBKIT_AI_TIMEOUT"):
        gateway_args.append(f"--AIGateway.upstream_timeout={ai_timeout}")
    c.JupyterHub.services.append(
        {
            "name": SERVICE,
            "url": gateway_url,
            "command": [sys.executable, "-m", "hubkit.hub.ai_gateway", *gateway_args],
            "environment": {
                "ANTHROPIC_API_KEY": secret_env("ANTHROPIC_API_KEY"),
                "OPENAI_API_KEY": secret_env("OPENAI_API_KEY"),
                "HUBKIT_AI_DB_URL": ai_db_url,
                **({"HUBKIT_AI_GATEWAY_BIND_IP": "0.0.0.0"} if mode == "docker" else {}),
            },
        }
    )
    user_scopes.append(ACCESS_SCOPE)
    # Setting the server token's scopes replaces the `server` role's: start from the policy's
    # (or JupyterHub's default one) and add the gateway's.
    server_scopes = next(r["scopes"] for r in get_default_roles() if r["name"] == "server")
    if "server" in policy.roles:
        server_scopes = list(policy.roles["server"].scopes)
    c.Spawner.server_token_scopes = [*server_scopes, ACCESS_SCOPE]
    c.Spawner.ai_gateway_url = f"{gateway_url}/services/{SERVICE}"
    c.Spawner.ai_default_model = policy.ai.default_model
    c.Spawner.ai_models = list(policy.ai.models)
    # Usage per user: the admins' usage page and /hub/metrics read the gateway's table.
    with contextlib.suppress(ValueError):  # registered already (config loaded twice)
        REGISTRY.register(UsageCollector(UsageStore.at(ai_db_url)))
    c.JupyterHub.tornado_settings = {
        **(c.JupyterHub.tornado_settings if "tornado_settings" in c.JupyterHub else {}),
        "hubkit_ai_db_url": ai_db_url,
    }
missing = [s["name"] for s in c.JupyterHub.services if s["name"] not in policy.services]
if missing:
    raise SystemExit(f"hub policy: {policy.path}: services: no scopes for {', '.join(missing)}")
c.JupyterHub.load_roles = policy.load_roles(
    [s["name"] for s in c.JupyterHub.services], user_scopes=user_scopes
)
# Sharing from JupyterLab: what the token JupyterLab holds for the person using a server may do.
c.Spawner.lab_token_scopes = list(policy.lab_token_scopes)
