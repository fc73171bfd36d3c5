"""Command line: python -m app serve | seed | create-admin | signing-key | rebuild-rows | sweep-orphans |
archive export|verify|import."""

import argparse
import asyncio
import signal
import sys


def _serve(args: argparse.Namespace) -> None:
    """Starts the embedded database once (unless MONGODB_URI is set) and hands its address to the app: with
    --workers N, every worker process inherits the address and none starts a database of its own."""
    import os

    import uvicorn

    from app.config import get_settings
    from app.db import resolve_uri

    if not get_settings().mongodb_uri:
        print("==> 启动内嵌数据库 SecantusDB（数据在 var/）/ starting the embedded database", flush=True)
    uri, embedded = resolve_uri(get_settings())
    os.environ["MONGODB_URI"] = uri
    use_own_address(args.host, args.port)
    # uvicorn shuts down gracefully on SIGTERM and then raises it again: as an exit, not the default
    # kill, so that `finally` below also stops the embedded database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        if not args.no_seed:
            _load_fixtures(f"http://{args.host}:{args.port}")
        else:
            asyncio.run(_with_database(_dictionaries_once))
        print(f"==> 启动服务 {public_address(args.host, args.port)}（PDF 转换服务 LibreOffice 在后台预热）"
              f" / serving", flush=True)
        uvicorn.run("app.main:app", host=args.host, port=args.port, workers=args.workers, reload=False,
                    log_level="info")
    finally:
        if embedded:
            embedded.stop()


def public_address(host: str, port: int) -> str:
    """The address this server answers on, as a certificate prints it: a wildcard host is this machine."""
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def use_own_address(host: str, port: int) -> None:
    """Unless ZC_PUBLIC_BASE_URL is configured, certificates point at this server (through the environment,
    so every worker process gets it too); the settings are read anew either way."""
    import os

    from app.config import get_settings

    if "public_base_url" not in get_settings().model_fields_set:
        os.environ["ZC_PUBLIC_BASE_URL"] = public_address(host, port)
        print(f"证书二维码与核验地址指向 {os.environ['ZC_PUBLIC_BASE_URL']}；对外服务时请设置 ZC_PUBLIC_BASE_URL")
    get_settings.cache_clear()


async def _dictionaries_once() -> None:
    """Before the workers start: each would otherwise find an empty database at once and load the
    dictionaries over the others' loading."""
    from app.catalog import service as catalog
    from app.catalog.models import DictionaryEntry

    if await DictionaryEntry.find_one({}) is None:
        await catalog.load_dictionaries()


async def _with_database(work, *args, **kwargs):
    from app import db
    from app.config import get_settings
    from app.documents import document_models

    from app.dossiers import access

    await db.open_database(get_settings(), document_models())
    try:
        return await work(*args, **kwargs)
    finally:
        await access.stop()         # access records a command noted, written before the client closes
        await db.close_database()


def _load_fixtures(address: str) -> None:
    """Demo accounts only in dev/test: in production the dictionaries alone, and an administrator by create-admin."""
    from app.config import get_settings
    from app.seed import print_demo_logins, seed

    demo = get_settings().is_dev
    asyncio.run(_with_database(seed, demo=demo, progress=lambda step: print(f"==> {step}", flush=True)))
    if demo:
        print_demo_logins(address)
    else:
        print("已加载字典。非开发环境不加载演示账号与数据；请用 python -m app create-admin 创建系统管理员。")


def _seed(_: argparse.Namespace) -> None:
    _load_fixtures("http://127.0.0.1:8000")


def _create_admin(args: argparse.Namespace) -> None:
    from app.seed import create_admin

    asyncio.run(_with_database(create_admin, args.login, args.password, args.name))
    print(f"系统管理员 {args.login} 已就绪")


def _rebuild_rows(_: argparse.Namespace) -> None:
    from app.dossiers.counts import rebuild
    from app.dossiers.rows import reconcile

    print(f"已重算 {asyncio.run(_with_database(reconcile, True))} 条申报列表行")
    print(f"已重算 {asyncio.run(_with_database(rebuild))} 个统计计数")


def _sweep_orphans(_: argparse.Namespace) -> None:
    """Uploads whose dossier, unit or batch let go of them (replaced, removed, abandoned mid-upload) stay in
    GridFS until swept; the service sweeps daily (app/scheduler.py), this sweeps now (files younger than an
    hour are left alone)."""
    from app.dossiers.attachments import sweep_orphans

    print(f"已清理 {asyncio.run(_with_database(sweep_orphans))} 个无引用的文件")


def _signing_key(_: argparse.Namespace) -> None:
    """Makes the development key if it is missing (dev/test), or opens the configured one; prints which
    certificate signs e-certificates, so a wrong passphrase or an expired certificate shows before a user
    downloads one."""
    from app.committee import signing
    from app.config import get_settings

    signer = signing.signer(get_settings())
    cert = signer.signing_cert
    print(f"证书签名证书：{cert.subject.human_friendly}")
    print(f"有效期至：{cert.not_valid_after:%Y-%m-%d}  序列号：{cert.serial_number:x}")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("至少为 1")
    return value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app", description="职称申报评审服务")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="加载字典（开发环境另加演示数据）并启动服务")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-seed", action="store_true", help="不加载演示数据")
    serve.add_argument("--workers", type=_positive, default=1,
                       help="工作进程数（共用同一数据库；会话、验证码、限流都在数据库中）")
    serve.set_defaults(func=_serve)
    commands.add_parser("seed", help="加载字典，开发环境另加演示数据（可重复执行）").set_defaults(func=_seed)
    admin = commands.add_parser("create-admin", help="创建或重置系统管理员")
    admin.add_argument("--login", required=True)
    admin.add_argument("--password", required=True)
    admin.add_argument("--name", default="系统管理员")
    admin.set_defaults(func=_create_admin)
    commands.add_parser("signing-key", help="检查证书签名密钥（开发环境缺少时生成开发密钥）").set_defaults(
        func=_signing_key)
    commands.add_parser("rebuild-rows", help="按申报材料重算列表与花名册所用的行及统计计数").set_defaults(func=_rebuild_rows)
    commands.add_parser("sweep-orphans", help="清理无申报、单位或批次引用的上传文件（一小时内的不动）").set_defaults(
        func=_sweep_orphans)
    from app.exports.cli import add_commands

    add_commands(commands, _with_database)
    args = parser.parse_args(argv)
    from app.config import settings_or_exit

    settings_or_exit()
    try:
        args.func(args)
    except Exception as exc:  # a clear line for the operator instead of a traceback
        from app.errors import AppError

        if isinstance(exc, AppError):
            print(f"错误：{exc.message}", file=sys.stderr)
            sys.exit(2)
        raise


if __name__ == "__main__":
    main()
