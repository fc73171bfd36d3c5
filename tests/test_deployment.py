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


def compose_config(tmp_path: Path, **env_overrides: str | None) -> subprocess.CompletedProcess:
    """`docker-compose -f docker-compose.yml config` with a controlled environment and an empty env file
    (so neither the caller's shell nor a local .env decides the outcome)."""
    executable = shutil.which("docker-compose")
    if executable is None:
        pytest.fail("docker-compose 未安装 / not installed: run scripts/bootstrap.sh (it installs the Debian "
                    "package docker-compose)")
    env = {k: v for k, v in os.environ.items() if k != "ZC_SECRET_KEY" and not k.startswith("COMPOSE_")}
    for key, value in env_overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.write_text("")
    return subprocess.run(
        [executable, "--env-file", str(empty_env_file), "-f", str(COMPOSE_FILE), "config"],
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


@pytest.mark.parametrize("secret", [None, ""], ids=["unset", "empty"])
def test_compose_refuses_to_start_without_a_secret(tmp_path, secret):
    result = compose_config(tmp_path, ZC_SECRET_KEY=secret)
    assert result.returncode != 0, "docker-compose config must fail without ZC_SECRET_KEY"
    assert "set ZC_SECRET_KEY" in result.stderr, result.stderr
