"""``xxgk serve``: options; the web stack (:mod:`validator.serve`, Starlette, uvicorn) is imported
only when the server starts."""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

from validator.errors import UnusableInput

HELP = "在浏览器中校验（本机网页；给出 --db 时另有收报页面）"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", metavar="地址", help="监听地址（默认 127.0.0.1，仅本机可访问）")
    p.add_argument("--port", type=int, default=8765, metavar="端口", help="端口（默认 8765）")
    p.add_argument("--db", metavar="年报.sqlite", help="收报：把上传的报告存入这一归档（与 xxgk collect --db 相同）")
    p.add_argument("--roster", metavar="名单", help="收报：应报送单位名单（.csv/.xlsx，与 xxgk collect 相同）")
    p.add_argument("--token", metavar="口令", help="访问口令（监听非本机地址时必需；不给则自动生成并显示）")


def config_from(args):
    from validator.serve.app import Config, is_loopback  # Starlette, loaded only to serve

    token = args.token
    if not is_loopback(args.host) and not token:
        token = secrets.token_urlsafe(18)
    if args.roster and not args.db:
        raise UnusableInput("--roster 只用于收报，请同时给出 --db", code="bad-argument")
    return Config(
        host=args.host,
        port=args.port,
        token=token,
        db=Path(args.db) if args.db else None,
        roster=Path(args.roster) if args.roster else None,
    )


def run(args) -> int:
    import uvicorn

    from validator.serve.app import create_app  # Starlette, loaded only to serve

    config = config_from(args)
    app = create_app(config)
    shown = f"[{config.host}]" if ":" in config.host else config.host
    address = f"http://{shown}:{config.port}/" + (f"?token={config.token}" if config.token else "")
    print(f"校验页面：{address}（按 Ctrl+C 停止）", file=sys.stderr)
    uvicorn.run(app, host=config.host, port=config.port, log_level="warning", server_header=False)
    return 0


COMMANDS = {"serve": (HELP, configure, run)}
