"""``xxgk serve --db`` on a real uvicorn: twenty bodies uploading at once lose nothing, slow
connections are closed, HTTPS with --ssl-certfile/--ssl-keyfile, the printed addresses, the
warning without TLS, and the access log (without the token).

No test measures speed: waits are bounded only so that a hang fails instead of blocking CI.
"""

from __future__ import annotations

import re
import shutil
import socket
import sqlite3
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from starlette.testclient import TestClient

from validator.serve.app import Config, create_app
from validator.serve.timeouts import TimedH11Protocol

from conftest import run_cli
from support.season import OFFICE, TOKEN, as_bytes, board, issue, report, write_roster
from support.server import live_server

HANG_S = 120  # the longest a helper waits for the server; never asserted on


@pytest.mark.slow
def test_twenty_bodies_uploading_at_once_lose_nothing(tmp_path):
    names = [f"汾西县第{n:02d}局" for n in range(20)]
    client, db = board(tmp_path, names=names)
    codes = issue(client)
    app = create_app(Config(db=db, year=2023, token=TOKEN))
    jobs = [(name, version) for version in (1, 2) for name in names]  # each body twice, all at once
    with live_server(app) as url:

        def send(job: tuple[str, int]) -> int:
            name, version = job
            data = report(name, error=version == 1)
            with httpx.Client(base_url=url, timeout=HANG_S) as c:
                files = {"file": (f"{name}-{version}.json", as_bytes(data))}
                return c.post("/api/submissions", files=files, headers={"x-xxgk-code": codes[name]}).status_code

        with ThreadPoolExecutor(max_workers=20) as pool:
            statuses = list(pool.map(send, jobs))
        with httpx.Client(base_url=url, timeout=HANG_S, headers=OFFICE) as c:
            rows = {r["name"]: r for r in c.get("/api/board").json()}
    assert statuses == [201] * 40
    assert all(rows[n]["version"] == 2 and rows[n]["status"] == "待审核" for n in names)
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*), count(DISTINCT body_id || '-' || version) FROM submissions").fetchone() == (
        40,
        40,
    )
    assert con.execute("SELECT count(*) FROM events WHERE action = 'submit'").fetchone() == (40,)
    assert con.execute("SELECT count(*) FROM submissions WHERE current = 1").fetchone() == (20,)
    con.close()
    assert run_cli("archive", "verify", db).code == 0


class QuickHeaders(TimedH11Protocol):
    header_timeout = 1.0


def _closed(sock: socket.socket, trickle: bytes) -> bool:
    """Send `trickle` a byte at a time, 0.3 s apart, until the server closes the connection."""
    sock.settimeout(HANG_S)
    try:
        for byte in trickle:
            sock.sendall(bytes([byte]))
            time.sleep(0.3)
            sock.setblocking(False)
            try:
                if sock.recv(4096) == b"":
                    return True
            except BlockingIOError:
                pass
            except OSError:
                return True
            finally:
                sock.setblocking(True)
        return False
    except OSError:  # reset by the server
        return True


@pytest.mark.slow
def test_slow_connections_are_closed(tmp_path):
    client, db = board(tmp_path)
    app = create_app(Config(db=db, year=2023, token=TOKEN, body_timeout=1.0))
    with live_server(app, http=QuickHeaders) as url:
        host, port = url.removeprefix("http://").split(":")
        slow_headers = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: " + b"a" * 200 + b"\r\n\r\n"
        with socket.create_connection((host, int(port))) as sock:
            assert _closed(sock, slow_headers), "a connection sending its headers slowly was kept open"
        head = (
            b"POST /api/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: 100000\r\n\r\n"
        )
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(head + b"--x\r\n")
            time.sleep(3)  # longer than the body timeout: the server answers and ends the request
            sock.settimeout(HANG_S)
            answer = sock.recv(4096)
            assert answer.startswith(b"HTTP/1.1 408") or answer.startswith(b"HTTP/1.1 422"), answer[:60]
        with httpx.Client(base_url=url, timeout=HANG_S) as c:  # and the server goes on answering
            assert c.get("/").status_code == 200


def _certificate(tmp_path):
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs openssl to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.mark.slow
def test_https_with_a_certificate(tmp_path):
    cert, key = _certificate(tmp_path)
    _, db = board(tmp_path)
    app = create_app(Config(db=db, year=2023, token=TOKEN, secure=True))
    with live_server(app, ssl_certfile=str(cert), ssl_keyfile=str(key)) as url:
        secure = url.replace("http://", "https://")
        with httpx.Client(base_url=secure, timeout=HANG_S, verify=False) as c:
            login = c.get(f"/board?token={TOKEN}", follow_redirects=False)
            assert login.status_code == 303
            assert "secure" in login.headers["set-cookie"].lower()
            assert c.get("/api/board", headers=OFFICE).status_code == 200


def test_serve_prints_both_addresses_warns_without_tls_and_logs_access(tmp_path, monkeypatch, capsys):
    import uvicorn

    from validator.cli.program import main

    roster = write_roster(tmp_path / "名单.csv")
    log = tmp_path / "访问.log"
    seen: dict = {}

    def visit_instead_of_serving(app, **kw):  # one visit with the printed address, then stop
        seen.update(kw, err=capsys.readouterr().err)
        seen["token"] = re.search(r"/board\?token=(\S+)", seen["err"]).group(1)
        client = TestClient(app, base_url="http://127.0.0.1:9876")
        assert client.get(f"/board?token={seen['token']}", follow_redirects=False).status_code == 303
        assert client.get("/submit").status_code == 200

    monkeypatch.setattr(uvicorn, "run", visit_instead_of_serving)
    monkeypatch.delenv("XXGK_ADMIN_TOKEN", raising=False)
    args = [
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        "9876",
        "--db",
        str(tmp_path / "年报.sqlite"),
        "--roster",
        str(roster),
    ]
    assert main([*args, "--access-log", str(log)]) == 0
    err = seen["err"]
    assert re.search(r"收报页面（上级机关）：http://[^/]+:9876/board\?token=\S+", err)
    assert re.search(r"报送页面（下级单位，用报送码登录）：http://[^/]+:9876/submit", err)
    assert "警告：未启用 HTTPS" in err and "本次自动生成" in err
    assert seen["http"] is TimedH11Protocol and seen["timeout_keep_alive"] > 0 and seen["limit_concurrency"]
    assert "ssl_certfile" not in seen
    text = log.read_text(encoding="utf-8")
    assert '"GET /board" 303' in text and '"GET /submit" 200' in text
    assert seen["token"] not in text  # the query string is never logged

    cert, key = _certificate(tmp_path)
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    assert main([*args, "--ssl-certfile", str(cert), "--ssl-keyfile", str(key), "--admin-token", "fixed"]) == 0
    err = capsys.readouterr().err
    assert seen["ssl_certfile"] == str(cert) and "https://" in err and "警告" not in err
    assert "/board?token=fixed" in err
    assert main([*args, "--ssl-certfile", str(cert)]) == 2  # a certificate without its key
