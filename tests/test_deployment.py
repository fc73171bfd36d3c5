"""The deployment files: docker-compose.yml validates with docker-compose (v1.29, Debian) and describes
the production stack; the app image carries production dependencies only.

No Docker engine runs here, so `docker-compose config` (which validates and interpolates without one)
is as far as these tests can go.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

try:
    import yaml  # PyYAML, installed with uvicorn[standard]
except ImportError:  # pragma: no cover - reported as a failure below, never skipped
    yaml = None

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
SECRET = "deployment-test-secret-4f1c-long-enough-for-prod"


def compose_config(tmp_path: Path, *arguments: str, **env_overrides: str | None) -> subprocess.CompletedProcess:
    """`docker-compose -f docker-compose.yml config` (or the arguments given instead of `config`) with a
    controlled environment and an empty env file (so neither the caller's shell nor a local .env decides
    the outcome)."""
    executable = shutil.which("docker-compose")
    if executable is None:
        pytest.fail("docker-compose 未安装 / not installed: run scripts/bootstrap.sh (it installs the Debian "
                    "package docker-compose)")
    env = {k: v for k, v in os.environ.items() if k != "ZC_SECRET_KEY" and not k.startswith("COMPOSE_")}
    env.update(ZC_PUBLIC_BASE_URL="https://zc.example.gov.cn", ZC_SIGNING_PKCS12_PASSPHRASE="passphrase")
    for key, value in env_overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.write_text("")
    return subprocess.run(
        [executable, "--env-file", str(empty_env_file), "-f", str(COMPOSE_FILE), *(arguments or ("config",))],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs of a Dockerfile, continuation lines joined, comments dropped."""
    logical, pending = [], ""
    for raw in dockerfile.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    if pending:
        logical.append(pending)
    pairs = []
    for line in logical:
        keyword, _, rest = line.partition(" ")
        pairs.append((keyword.upper(), rest.strip()))
    return pairs


def as_args(command) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def exec_form(arguments: str) -> list[str]:
    """A Dockerfile CMD in exec form (a JSON array); the shell form is split like a shell would."""
    try:
        return [str(part) for part in json.loads(arguments)]
    except json.JSONDecodeError:
        return shlex.split(arguments)


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> dict:
    if yaml is None:
        pytest.fail("PyYAML 缺失 / missing (it comes with uvicorn[standard]): run scripts/bootstrap.sh")
    result = compose_config(tmp_path_factory.mktemp("compose"), ZC_SECRET_KEY=SECRET)
    assert result.returncode == 0, f"docker-compose config failed:\n{result.stderr}"
    parsed = yaml.safe_load(result.stdout)
    assert isinstance(parsed, dict) and "services" in parsed, result.stdout
    return parsed


class TestComposeFile:
    def test_the_three_services(self, config):
        assert {"mongo", "converter", "app"} <= set(config["services"])

    def test_mongo_is_a_one_node_replica_set_on_a_named_volume(self, config):
        mongo = config["services"]["mongo"]
        assert re.fullmatch(r"mongo:8(\.[\w.-]+)?", mongo["image"]), mongo["image"]
        args = as_args(mongo["command"])
        assert "--replSet" in args and args[args.index("--replSet") + 1] == "rs0", args
        test = " ".join(as_args(mongo["healthcheck"]["test"]))
        assert "mongosh" in test and "rs.initiate" in test and "'rs0'" in test and "mongo:27017" in test, test
        data_volumes = [v for v in mongo["volumes"] if str(v).split(":")[1] == "/data/db"]
        assert data_volumes, mongo["volumes"]
        assert str(data_volumes[0]).split(":")[0] in (config.get("volumes") or {}), "/data/db needs a named volume"

    def test_converter_runs_unoserver_from_its_own_image(self, config):
        converter = config["services"]["converter"]
        context = Path(converter["build"]["context"])
        assert context == ROOT / "docker" / "converter", context
        dockerfile = dict(instructions(context / converter["build"].get("dockerfile", "Dockerfile")))
        assert dockerfile["FROM"] == "debian:bookworm-slim"
        text = " ".join(f"{k} {v}" for k, v in instructions(context / "Dockerfile"))
        for needed in ("libreoffice-writer-nogui", "python3-uno", "fonts-noto-cjk", "fonts-wqy-zenhei",
                       "/usr/bin/python3 -m venv --system-site-packages", "unoserver"):
            assert needed in text, f"converter Dockerfile lacks {needed!r}"
        cmd = as_args(converter["command"]) if converter.get("command") else exec_form(dockerfile["CMD"])
        assert cmd[0].endswith("unoserver"), cmd
        assert cmd[cmd.index("--interface") + 1] == "0.0.0.0" and cmd[cmd.index("--port") + 1] == "2003", cmd
        assert "--user-installation" in cmd, "each LibreOffice needs its own profile directory"
        assert converter["healthcheck"]["test"], "converter needs a healthcheck"

    def test_app_points_at_the_replica_set_and_needs_mongo_healthy(self, config):
        app = config["services"]["app"]
        env = app["environment"]
        assert env["ZC_ENV"] == "prod"
        assert env["ZC_SECRET_KEY"] == SECRET, "the secret must come from the environment"
        uri = urlsplit(env["MONGODB_URI"])
        assert uri.scheme == "mongodb" and uri.netloc.split("@")[-1] == "mongo:27017", env["MONGODB_URI"]
        assert parse_qs(uri.query).get("replicaSet") == ["rs0"], env["MONGODB_URI"]
        assert env["ZC_CONVERTER_URL"] == "http://converter:2003"
        assert env["ZC_COOKIE_SECURE"] == "true", "cookies are Secure unless the operator says otherwise"
        assert app["depends_on"]["mongo"]["condition"] == "service_healthy"
        assert "converter" in app["depends_on"]
        assert "/api/health" in " ".join(as_args(app["healthcheck"]["test"]))

    def test_app_image_installs_production_dependencies_only(self, config):
        app = config["services"]["app"]
        context = Path(app["build"]["context"])
        assert context == ROOT, context
        steps = instructions(context / app["build"].get("dockerfile", "Dockerfile"))
        assert ("FROM", "python:3.11-slim") in steps, steps
        runs = " && ".join(args for keyword, args in steps if keyword == "RUN")
        assert re.search(r"pip install (--?[\w-]+ )*\.(\s|$)", runs), f"the package is installed with pip install .: {runs}"
        for forbidden in ("[dev]", "[embedded]", "secantus", "-e ."):
            assert forbidden not in runs.lower(), f"the app image must not install {forbidden!r}"
        users = [args for keyword, args in steps if keyword == "USER"]
        assert users and users[-1].split(":")[0] not in ("root", "0"), "the app must run as a non-root user"
        cmd = " ".join(exec_form(dict(steps)["CMD"]))
        assert cmd.startswith("uvicorn app.main:app") and "--host 0.0.0.0" in cmd and "--port 8000" in cmd, cmd

    def test_secantusdb_is_no_production_dependency(self):
        project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
        assert not [d for d in project["dependencies"] if d.lower().startswith("secantus")]

    def test_dockerignore_keeps_local_state_out_of_the_image(self):
        patterns = {line.strip().strip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
                    if line.strip() and not line.startswith("#")}
        for needed in (".venv", "var", ".git", "test-artifacts", ".env"):
            assert needed in patterns, f".dockerignore lacks {needed}"
        assert patterns & {"__pycache__", "**/__pycache__"}, ".dockerignore lacks __pycache__"


@pytest.mark.parametrize("profile", [(), ("--profile", "scale")], ids=["default", "scale"])
def test_compose_config_is_valid_with_each_profile(tmp_path, profile):
    result = compose_config(tmp_path, *profile, "config", "-q", ZC_SECRET_KEY=SECRET)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def scale(tmp_path_factory) -> dict:
    result = compose_config(tmp_path_factory.mktemp("scale"), "--profile", "scale", "config", ZC_SECRET_KEY=SECRET)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)["services"]


class TestScaleProfile:
    """Profile `scale`: two app replicas behind nginx, a three-member replica set, two converters."""
    REPLICAS, MEMBERS, CONVERTERS = ("app-1", "app-2"), ("mongo-1", "mongo-2", "mongo-3"), ("converter-1", "converter-2")

    def test_every_added_service_is_in_the_profile_and_the_default_stack_is_not(self, scale):
        added = {*self.REPLICAS, *self.MEMBERS, *self.CONVERTERS, "mongo-init", "proxy"}
        assert added <= set(scale)
        assert all(scale[name].get("profiles") == ["scale"] for name in added)
        assert not any(scale[name].get("profiles") for name in ("mongo", "converter", "app"))

    def test_three_members_of_one_set_each_on_its_own_volume_initiated_once(self, scale):
        volumes = set()
        for name in self.MEMBERS:
            args = as_args(scale[name]["command"])
            assert args[args.index("--replSet") + 1] == "rs-scale", args
            volumes |= {str(v).split(":")[0] for v in scale[name]["volumes"] if str(v).split(":")[1] == "/data/db"}
        assert len(volumes) == 3, volumes
        init = scale["mongo-init"]
        script = " ".join(as_args(init["command"]))
        assert "rs.initiate" in script and "'rs-scale'" in script and "try { rs.status() }" in script
        assert all(f"host: '{name}:27017'" in script for name in self.MEMBERS), script
        assert {name: d["condition"] for name, d in init["depends_on"].items()} == dict.fromkeys(
            self.MEMBERS, "service_healthy")
        assert init["restart"] == "no"

    def test_replicas_share_the_set_with_majority_journaled_writes_and_both_converters(self, scale):
        for name in self.REPLICAS:
            app = scale[name]
            uri = urlsplit(app["environment"]["MONGODB_URI"])
            assert uri.netloc == ",".join(f"{m}:27017" for m in self.MEMBERS), uri
            assert parse_qs(uri.query) == {"replicaSet": ["rs-scale"], "w": ["majority"], "journal": ["true"]}
            assert app["environment"]["ZC_CONVERTER_URL"].split(",") == [f"http://{c}:2003" for c in self.CONVERTERS]
            assert app["environment"]["ZC_ENV"] == "prod" and app["environment"]["ZC_SECRET_KEY"] == SECRET
            assert app["depends_on"]["mongo-init"]["condition"] == "service_completed_successfully"
            assert not app.get("ports"), "only the proxy is published"
        for name in self.CONVERTERS:
            assert Path(scale[name]["build"]["context"]) == ROOT / "docker" / "converter"

    def test_the_proxy_balances_both_replicas_and_lets_the_apps_upload_limit_through(self, scale):
        from app.request_size import MAX_REQUEST_BYTES

        proxy = scale["proxy"]
        mount = next(v for v in proxy["volumes"] if str(v).endswith(":/etc/nginx/conf.d/default.conf:ro"))
        conf = Path(str(mount).split(":")[0]).read_text()
        upstream = re.search(r"upstream \w+ \{(.*?)\}", conf, re.S).group(1)
        assert re.findall(r"server ([\w-]+):8000", upstream) == list(self.REPLICAS)
        assert "ip_hash" not in upstream and "sticky" not in upstream, "state is in the database: no stickiness"
        body_limit = int(re.search(r"client_max_body_size (\d+)m;", conf).group(1)) * 1024 * 1024
        assert body_limit >= MAX_REQUEST_BYTES
        assert [p["target"] for p in proxy["ports"]] == [80]
        assert {name: d["condition"] for name, d in proxy["depends_on"].items()} == dict.fromkeys(
            self.REPLICAS, "service_healthy")


@pytest.mark.parametrize("secret", [None, ""], ids=["unset", "empty"])
def test_compose_refuses_to_start_without_a_secret(tmp_path, secret):
    result = compose_config(tmp_path, ZC_SECRET_KEY=secret)
    assert result.returncode != 0, "docker-compose config must fail without ZC_SECRET_KEY"
    assert "set ZC_SECRET_KEY" in result.stderr, result.stderr


@pytest.mark.parametrize("variable", ["ZC_PUBLIC_BASE_URL", "ZC_SIGNING_PKCS12_PASSPHRASE"])
def test_compose_needs_the_public_address_and_the_signing_key(tmp_path, variable):
    result = compose_config(tmp_path, ZC_SECRET_KEY=SECRET, **{variable: None})
    assert result.returncode != 0 and f"set {variable}" in result.stderr, result.stderr
