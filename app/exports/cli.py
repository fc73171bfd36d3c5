"""`python -m app archive export | verify | import`: the archivist's packages from the command line."""

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from bson import ObjectId
from bson.errors import InvalidId


def _object_id(text: str) -> ObjectId:
    try:
        return ObjectId(text)
    except InvalidId:
        raise argparse.ArgumentTypeError(f"不是有效的编号：{text}") from None


def add_commands(commands: argparse._SubParsersAction, with_database: Callable) -> None:
    archive = commands.add_parser("archive", help="归档包：导出、校验、导入")
    sub = archive.add_subparsers(dest="archive_command", required=True)
    export = sub.add_parser("export", help="导出一个批次全部已办结申报的归档包，每份申报一个 .zip")
    export.add_argument("--batch", required=True, type=_object_id, help="申报批次编号")
    export.add_argument("--out", required=True, type=Path, help="输出目录")
    export.add_argument("--no-forms", action="store_true", help="不生成 PDF/A 表单（以 CSV 材料目录代替）")
    export.set_defaults(func=lambda args: _export(args, with_database))
    verify = sub.add_parser("verify", help="BagIt 完整校验与真实性、完整性、可用性、安全性四性检测（未通过时退出码为 1）")
    verify.add_argument("package", type=Path)
    verify.set_defaults(func=_verify)
    restore = sub.add_parser("import", help="校验后把归档包导入当前配置的数据库（申报已存在则拒绝）")
    restore.add_argument("package", type=Path)
    restore.set_defaults(func=lambda args: _import(args, with_database))


def _export(args: argparse.Namespace, with_database: Callable) -> None:
    from app.exports import archives, selection

    async def work():
        written = await archives.export_batch(args.batch, args.out, created_by="命令行", forms=not args.no_forms)
        await selection.record("archive", user=None, client=None, selection={"batch_id": str(args.batch)},
                               count=len(written))
        return written

    written = asyncio.run(with_database(work))
    for path in written:
        print(path)
    print(f"已导出 {len(written)} 个归档包到 {args.out}")


def _verify(args: argparse.Namespace) -> None:
    from app.exports import archives

    result = archives.verify(args.package)
    for check in result.checks.values():
        print(f"{check.name}：{'通过' if check.passed else '未通过'}")
        for note in check.notes:
            print(f"  说明：{note}")
        for problem in check.problems:
            print(f"  {check.name}未通过：{problem}", file=sys.stderr)
    if not result.passed:
        sys.exit(1)
    print(f"{args.package.name}：BagIt 校验与四性检测全部通过")


def _import(args: argparse.Namespace, with_database: Callable) -> None:
    from app.exports import archives

    result = asyncio.run(with_database(archives.import_package, args.package))
    print(f"已导入申报 {result['dossier_id']}，恢复文件 {result['files']} 个")
