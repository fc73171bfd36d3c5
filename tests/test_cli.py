"""The command line on the embedded default: seed twice (idempotent), create an administrator, rebuild rows,
sweep an orphaned upload, and serve stopping its database with it."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import datetime, timezone

from pymongo import MongoClient

from app.embedded import EmbeddedServer, answers, free_port


def run_cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True,
                          timeout=180)


def test_seed_on_the_embedded_database_is_idempotent(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "ZC_DATABASE")}
    env.update(ZC_ENV="dev", ZC_VAR_DIR=str(tmp_path), ZC_EMBEDDED_PORT=str(port), ZC_DATABASE="zc_cli")
    first = run_cli("seed", env=env)                           # starts, and stops, its own embedded database
    assert first.returncode == 0, first.stderr
    assert "演示账号" in first.stdout and "zhangsan" in first.stdout
    assert "档案管理员" in first.stdout and "dangan" in first.stdout
    steps = [line for line in first.stdout.splitlines() if line.startswith("==> ")]     # says what it is doing
    assert [s.split()[1] for s in steps] == ["加载字典（系列、级别、职称、专业、地区……）", "生成演示账号与单位",
                                             "生成评委会、上报路径与申报批次", "生成演示人员信息"]
    assert (tmp_path / "secantus").is_dir()                    # data under the configured var/ folder

    # The other commands find the database already serving that folder, as they do next to a running `serve`:
    # one start and stop of it (seconds each) for the test rather than one per command.
    server = EmbeddedServer(tmp_path / "secantus", port)
    server.start()
    try:
        second = run_cli("seed", env=env)
        assert second.returncode == 0, second.stderr
        weak = run_cli("create-admin", "--login", "root2", "--password", "short", env=env)
        assert weak.returncode == 2 and "密码" in weak.stderr
        made = run_cli("create-admin", "--login", "root2", "--password", "Strong#2026", env=env)
        assert made.returncode == 0, made.stderr
        rebuilt = run_cli("rebuild-rows", env=env)
        assert rebuilt.returncode == 0 and "已重算 0 条申报列表行" in rebuilt.stdout, rebuilt.stderr

        database = MongoClient(server.uri)["zc_cli"]
        assert database.users.count_documents({"login_key": "zhangsan"}) == 1
        assert database.units.count_documents({}) == 6
        assert database.paths.count_documents({"status": "active"}) == 14      # employer → … → committee
        assert database.users.count_documents({"login_key": "root2", "roles.role": "sysadmin"}) == 1
        assert database.dictionaries.count_documents({"dictionary": "regions"}) > 10
        assert database.batches.count_documents({}) == 2
        orphan = database["fs.files"].insert_one({"length": 0, "chunkSize": 261120, "filename": "丢弃.pdf",
                                                  "uploadDate": datetime(2020, 1, 1, tzinfo=timezone.utc)})
        swept = run_cli("sweep-orphans", env=env)
        assert swept.returncode == 0 and "已清理 1 个无引用的文件" in swept.stdout, swept.stderr
        assert database["fs.files"].find_one({"_id": orphan.inserted_id}) is None
    finally:
        server.stop()


def test_serve_stops_its_embedded_database_on_sigterm(tmp_path):
    """What a service manager sends: the app shuts down and takes the database it started with it."""
    db_port, http_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "ZC_DATABASE")}
    env.update(ZC_ENV="dev", ZC_VAR_DIR=str(tmp_path), ZC_EMBEDDED_PORT=str(db_port), ZC_DATABASE="zc_serve")
    serve = subprocess.Popen([sys.executable, "-m", "app", "serve", "--no-seed", "--port", str(http_port)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    database = EmbeddedServer(tmp_path / "secantus", db_port)
    try:
        deadline = time.monotonic() + 120
        while not _healthy(http_port):
            assert serve.poll() is None and time.monotonic() < deadline, "serve did not come up"
            time.sleep(0.5)
        assert answers(database.uri)
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=60) != 0
        assert not answers(database.uri)
    finally:
        serve.kill()
        database.stop()


def production_env(secret: str = "p" * 40) -> dict:
    """ZC_ENV=prod against the test session's database server, under a database of its own."""
    env = {k: v for k, v in os.environ.items() if k != "ZC_DATABASE"}
    env.update(ZC_ENV="prod", ZC_SECRET_KEY=secret, ZC_DATABASE=f"zc_prod_{uuid.uuid4().hex[:8]}",
               ZC_CONVERTER_AUTOSTART="false", ZC_PUBLIC_BASE_URL="https://zc.example.gov.cn",
               ZC_SIGNING_PKCS12_PATH="/etc/zhicheng/signer.p12")
    return env


def test_production_refuses_a_short_secret_with_status_2():
    env = production_env(secret="12345")
    for command in ([sys.executable, "-m", "app", "seed"], [sys.executable, "-m", "app", "serve", "--no-seed"],
                    [sys.executable, "-c", "import app.main"]):          # what `uvicorn app.main:app` imports
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, (command, done.stderr)
        assert "ZC_SECRET_KEY 过短" in done.stderr and "Traceback" not in done.stderr, command


def test_production_seed_and_serve_load_dictionaries_only():
    env = production_env()
    database = MongoClient(os.environ["MONGODB_URI"])[env["ZC_DATABASE"]]
    http_port = free_port()
    try:
        seeded = run_cli("seed", env=env)
        assert seeded.returncode == 0, seeded.stderr
        assert "演示账号 / demo logins" not in seeded.stdout and "Admin@2026" not in seeded.stdout
        assert database.dictionaries.count_documents({"dictionary": "regions"}) > 10
        assert database.committees.count_documents({}) > 0
        serve = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(http_port)], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            deadline = time.monotonic() + 120
            while not _healthy(http_port):
                assert serve.poll() is None and time.monotonic() < deadline, "serve did not come up"
                time.sleep(0.5)
        finally:
            serve.send_signal(signal.SIGTERM)
            output = serve.communicate(timeout=60)[0]
        assert "Admin@2026" not in output and "create-admin" in output
        for collection in ("users", "units", "batches", "paths"):
            assert database[collection].count_documents({}) == 0, collection
    finally:
        database.client.drop_database(env["ZC_DATABASE"])
        database.client.close()


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False
