"""``xxgk serve``: options; the web stack (:mod:`validator.serve`, Starlette, uvicorn) is imported
only when the server starts."""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
from pathlib import Path

from validator.errors import UnusableInput

HELP = "在浏览器中校验（本机网页）；给出 --db 时另有收报：下级单位用报送码报送，上级机关审核"
TOKEN_ENV = "XXGK_ADMIN_TOKEN"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", metavar="地址", help="监听地址（默认 127.0.0.1，仅本机可访问）")
    p.add_argument("--port", type=int, default=8765, metavar="端口", help="端口（默认 8765）")
    p.add_argument("--db", metavar="年报.sqlite", help="收报：归档数据库（与 xxgk collect --db 相同）")
    p.add_argument("--roster", metavar="名单", help="收报：应报送单位名单（.csv/.xlsx，与 xxgk collect 相同）")
    p.add_argument("--year", type=int, metavar="年度", help="收报年度（默认：上次使用的年度）")
    p.add_argument(
        "--admin-token",
        "--token",
        dest="token",
        metavar="口令",
        help=f"上级机关（管理）口令；不给则读环境变量 {TOKEN_ENV}，再没有则自动生成并显示。"
        "不收报时为监听非本机地址所需的访问口令",
    )
    p.add_argument("--ssl-certfile", metavar="证书.pem", help="启用 HTTPS：证书文件（在单位内网上提供服务时应启用）")
    p.add_argument("--ssl-keyfile", metavar="私钥.pem", help="启用 HTTPS：私钥文件")
    p.add_argument("--access-log", metavar="访问日志.log", help="访问日志另写入此文件（追加；默认只显示在窗口中）")


def config_from(args):
    from validator.serve.app import Config, is_loopback  # lazy: loads starlette, jinja2

    token = args.token or (os.environ.get(TOKEN_ENV) if args.db else None)
    if args.roster and not args.db:
        raise UnusableInput("--roster 只用于收报，请同时给出 --db", code="bad-argument")
    if args.year is not None and not args.db:
        raise UnusableInput("--year 只用于收报，请同时给出 --db", code="bad-argument")
    if bool(args.ssl_certfile) != bool(args.ssl_keyfile):
        raise UnusableInput("--ssl-certfile 与 --ssl-keyfile 需同时给出", code="bad-argument")
    for name in (args.ssl_certfile, args.ssl_keyfile):
        if name and not Path(name).is_file():
            raise UnusableInput("证书或私钥文件不存在", where=name, code="not-found")
    if not token and (args.db or not is_loopback(args.host)):
        token = secrets.token_urlsafe(18)
    secure = bool(args.ssl_certfile)
    return Config(
        host=args.host,
        port=args.port,
        token=token,
        db=Path(args.db) if args.db else None,
        roster=Path(args.roster) if args.roster else None,
        year=args.year,
        secure=secure,
        public_url=f"{_base(args.host, args.port, secure)}/submit" if args.db else None,
    )


def _base(host: str, port: int, secure: bool) -> str:
    shown = f"[{host}]" if ":" in host else host
    if host in ("0.0.0.0", "::"):
        shown = _this_machine()
    return f"{'https' if secure else 'http'}://{shown}:{port}"


def _this_machine() -> str:
    """This computer's address on the network (what bodies type), for a wildcard binding."""
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))  # no packet is sent: only picks the outgoing interface
            return s.getsockname()[0]
    except OSError:
        return socket.gethostname()


def _access_log(path: str | None) -> None:
    logger = logging.getLogger("xxgk.access")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    form = logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S")
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if path:
        try:
            handlers.append(logging.FileHandler(path, encoding="utf-8"))
        except OSError as exc:
            raise UnusableInput(f"无法写入访问日志：{exc.strerror or exc}", where=path, code="cannot-write") from None
    for old in list(logger.handlers):
        logger.removeHandler(old)
    for handler in handlers:
        handler.setFormatter(form)
        logger.addHandler(handler)


def run(args) -> int:
    import uvicorn

    from validator.serve.app import create_app, is_loopback  # lazy: loads starlette, jinja2
    from validator.serve.timeouts import TimedH11Protocol  # lazy: loads uvicorn

    config = config_from(args)
    app = create_app(config)
    _access_log(args.access_log)
    base = _base(config.host, config.port, config.secure)
    if config.db is not None:
        print(f"收报页面（上级机关）：{base}/board?token={config.token}", file=sys.stderr)
        print(f"报送页面（下级单位，用报送码登录）：{base}/submit", file=sys.stderr)
        print(f"校验页面：{base}/（按 Ctrl+C 停止）", file=sys.stderr)
        if not args.token and not os.environ.get(TOKEN_ENV):
            print(f"上级机关口令为本次自动生成；固定口令请用 --admin-token 或环境变量 {TOKEN_ENV}", file=sys.stderr)
    else:
        address = f"{base}/" + (f"?token={config.token}" if config.token else "")
        print(f"校验页面：{address}（按 Ctrl+C 停止）", file=sys.stderr)
    if not is_loopback(config.host) and not config.secure:
        print(
            "警告：未启用 HTTPS，报送码、口令和报告将以明文在网络上传输；"
            "请用 --ssl-certfile/--ssl-keyfile 启用（见 docs/deploy.md）",
            file=sys.stderr,
        )
    tls = {"ssl_certfile": args.ssl_certfile, "ssl_keyfile": args.ssl_keyfile} if config.secure else {}
    uvicorn.run(
        app,
        host=config.host,
        port=config.port,
        log_level="warning",
        access_log=False,
        server_header=False,
        http=TimedH11Protocol,
        timeout_keep_alive=5,
        limit_concurrency=200,
        **tls,
    )
    return 0


COMMANDS = {"serve": (HELP, configure, run)}
