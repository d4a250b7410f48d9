"""``xxgk serve`` at the HTTP level: /api/check equals ``xxgk check --json``, unusable and
hostile uploads give 4xx with a code while the server keeps answering, the token on a
non-local binding, the check page (escaped text, strict CSP, annotated download).

No test measures time: the concurrent run is bounded by count (20 uploads) and by client
timeouts, and "refused before reading" is proven by a check that fails if called.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import openpyxl
import pytest
from starlette.testclient import TestClient

from validator.serve import app as serve_app
from validator.serve.app import Config, create_app

from conftest import EXAMPLE, run_cli
from support.hostile_files import (
    FENXI,
    billion_laughs,
    encrypted_workbook,
    old_xls,
    rebuild,
    sheet_bomb,
    worksheet_part,
)
from support.server import broken_copy, live_server


def local(app) -> TestClient:
    """A client that talks to the app as a browser on this machine does (Host 127.0.0.1)."""
    return TestClient(app, base_url="http://127.0.0.1:8765", raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client() -> TestClient:
    return local(create_app())


def upload(client, path: Path, url: str = "/api/check", name: str | None = None, **kw):
    return client.post(url, files={"file": (name or path.name, path.read_bytes())}, **kw)


def test_import_of_the_cli_does_not_load_the_web_stack():
    code = (
        "import sys, validator.cli; print(sorted(m for m in ('starlette', 'uvicorn', 'multipart') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("kind", ["example", "broken"])
def test_api_check_returns_the_cli_report(client, tmp_path, kind):
    path = EXAMPLE if kind == "example" else broken_copy(tmp_path)
    cli = run_cli("check", str(path), "--json")
    assert cli.code == (0 if kind == "example" else 1)
    response = upload(client, path)
    assert response.status_code == 200
    assert response.json() == json.loads(cli.out)
    if kind == "broken":
        assert any(f.get("located") for f in response.json()["findings"])


def test_api_check_takes_a_json_report(client, tmp_path):
    path = EXAMPLE.with_suffix(".json")
    assert upload(client, path).json() == json.loads(run_cli("check", str(path), "--json").out)


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("空.xlsx", b"", "empty"),
        ("说明.txt", b"hello", "not-xlsx"),
        ("报告.json", b"{not json", "bad-json"),
        ("旧版.xls", None, "xls"),
    ],
)
def test_unusable_uploads_are_422_with_the_cli_error(client, tmp_path, name, data, code):
    path = tmp_path / name
    path.write_bytes(old_xls() if data is None else data)
    response = upload(client, path)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == code
    assert error == json.loads(run_cli("check", str(path), "--json").out)["error"] | {"where": name}
    assert re.search(r"[\u4e00-\u9fff]", error["message"])
    assert "upload" not in json.dumps(error) and "/tmp" not in json.dumps(error)  # the sender's name, not ours


def _hostile(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    enc = tmp_path / "加密.xlsx"
    enc.write_bytes(encrypted_workbook())
    many = rebuild(
        FENXI,
        tmp_path / "部件.xlsx",
        extra=lambda z: [z.writestr(f"customXml/item{i}.xml", b"<a/>") for i in range(1001)],
    )
    return {
        "encrypted": (enc, "encrypted"),
        "bomb": (sheet_bomb(tmp_path / "炸弹.xlsx", gigabytes=1), "too-large"),
        "laughs": (rebuild(FENXI, tmp_path / "laughs.xlsx", {worksheet_part("封面"): billion_laughs}), "unsafe-xml"),
        "parts": (many, "too-large"),
    }


@pytest.mark.slow
def test_hostile_files_are_refused_and_the_server_keeps_answering(client, tmp_path):
    for label, (path, code) in _hostile(tmp_path).items():
        response = upload(client, path)
        assert response.status_code == 422, label
        assert response.json()["error"]["code"] == code, (label, response.json())
        assert upload(client, EXAMPLE).json()["valid"] is True, label


def test_an_oversized_upload_is_refused_before_it_is_read(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the upload was read")

    monkeypatch.setattr(serve_app, "check_file", refuse)
    small = local(create_app(Config(max_upload=1000)))
    response = small.post("/api/check", files={"file": ("big.xlsx", b"PK" + b"0" * 200_000)})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too-large"


def test_a_chunked_upload_over_the_cap_is_cut_off(monkeypatch):
    monkeypatch.setattr(serve_app, "check_file", lambda *a, **k: pytest.fail("the upload was read"))
    small = local(create_app(Config(max_upload=1000)))

    def body():
        yield b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.xlsx"\r\n\r\n'
        for _ in range(100):
            yield b"0" * 10_000
        yield b"\r\n--x--\r\n"

    response = small.post("/api/check", content=body(), headers={"content-type": "multipart/form-data; boundary=x"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "too-large"


def test_a_request_without_the_token_is_refused_on_a_public_binding():
    app = create_app(Config(host="0.0.0.0", token="s3cret"))
    anonymous = TestClient(app, raise_server_exceptions=False)
    assert anonymous.get("/").status_code == 401
    assert upload(anonymous, EXAMPLE).status_code == 401
    assert anonymous.get("/?token=wrong").status_code == 401
    assert upload(anonymous, EXAMPLE, headers={"authorization": "Bearer s3cret"}).status_code == 200
    browser = TestClient(app, raise_server_exceptions=False)
    first = browser.get("/?token=s3cret", follow_redirects=False)
    assert first.status_code == 303 and "xxgk_token" in first.headers["set-cookie"]
    assert browser.get("/").status_code == 200  # the cookie now carries the token


def test_a_public_binding_without_a_token_gets_one(capsys):
    from validator.cli.program import _parser
    from validator.cli.serve import config_from

    parser = _parser()
    assert config_from(parser.parse_args(["serve", "--host", "0.0.0.0"])).token
    assert config_from(parser.parse_args(["serve"])).token is None


def test_a_post_from_another_site_is_refused(client):
    response = upload(client, EXAMPLE, headers={"origin": "http://evil.example"})
    assert response.status_code == 403


def test_a_foreign_host_name_is_refused_on_loopback(client):
    """DNS rebinding: a web site whose name now points at 127.0.0.1 must not read the board."""
    assert client.get("/", headers={"host": "evil.example:8765"}).status_code == 421
    assert client.get("/", headers={"host": "localhost:8765"}).status_code == 200
    assert client.get("/", headers={"host": "[::1]:8765"}).status_code == 200


def test_the_check_page_shows_the_root_cause_and_gives_the_annotated_copy(client, tmp_path):
    page = client.get("/")
    assert "不保存任何文件" in page.text and 'enctype="multipart/form-data"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    response = upload(client, broken_copy(tmp_path), url="/check")
    assert response.status_code == 200
    root = response.text.index("问题所在")
    assert "<code>表三!J4</code>" in response.text[root:]
    assert re.search(r'class="expected">3<.*class="actual">4<', response.text[root:], re.S)
    assert "连带结果" in response.text[root:] and 'id="exported"' not in response.text  # 错误: no JSON
    href = re.search(r'id="annotated" href="data:[^;]+;base64,([^"]+)"', response.text).group(1)
    wb = openpyxl.load_workbook(io.BytesIO(base64.b64decode(href)))
    assert "校验结果" in wb.sheetnames and wb["表三"]["J4"].value == 4


def test_the_check_page_offers_the_json_without_errors(client):
    response = upload(client, EXAMPLE, url="/check")
    href = re.search(r'id="exported" href="data:application/json;base64,([^"]+)"', response.text).group(1)
    assert json.loads(base64.b64decode(href))["year"] == 2023


def test_text_from_the_upload_is_escaped(client, tmp_path):
    (tmp_path / "a.json").write_bytes(b"{}")
    response = upload(client, tmp_path / "a.json", url="/check", name="<img src=x onerror=alert(1)>.json")
    assert response.status_code == 422
    assert "<img src=x" not in response.text and "&lt;img src=x onerror=alert(1)&gt;.json" in response.text


def test_an_internal_error_shows_no_stack_trace(monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(serve_app, "check_file", boom)
    response = local(create_app()).post("/api/check", files={"file": ("a.xlsx", EXAMPLE.read_bytes())})
    assert response.status_code == 500
    assert "secret detail" not in response.text and "Traceback" not in response.text
    assert "内部错误" in response.text


@pytest.mark.slow
def test_twenty_concurrent_uploads_on_a_real_server(tmp_path):
    broken = broken_copy(tmp_path)
    expected = {p: upload(local(create_app()), p).json() for p in (EXAMPLE, broken)}
    jobs = [EXAMPLE if n % 2 else broken for n in range(20)]
    with live_server(create_app()) as url:

        def send(path: Path) -> tuple[Path, dict]:
            with httpx.Client(base_url=url, timeout=300) as c:
                return path, upload(c, path).json()

        with ThreadPoolExecutor(max_workers=20) as pool:
            results = list(pool.map(send, jobs))
    assert len(results) == 20
    for path, report in results:
        assert report == expected[path]


def test_serve_prints_the_address_with_its_token_and_needs_db_for_a_roster(monkeypatch, capsys):
    import uvicorn

    from validator.cli.program import main

    started = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.update(kw))
    assert main(["serve", "--host", "0.0.0.0", "--port", "9999", "--token", "abc"]) == 0
    assert started["host"] == "0.0.0.0" and started["port"] == 9999
    assert re.search(r"http://[0-9a-z.\-]+:9999/\?token=abc", capsys.readouterr().err)  # this machine's address
    assert main(["serve", "--roster", "名单.csv"]) == 2
    assert "--db" in capsys.readouterr().err


def test_no_upload_is_left_in_the_temp_folder(client, tmp_path, monkeypatch):
    import tempfile

    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    seen: list[list[str]] = []
    real = serve_app.check_file

    def spy(path, *args, **kwargs):
        seen.append([p.name for p in temp.rglob("*")])
        return real(path, *args, **kwargs)

    monkeypatch.setattr(serve_app, "check_file", spy)
    assert upload(client, EXAMPLE, url="/check").status_code == 200
    assert upload(client, broken_copy(tmp_path)).status_code == 200
    (tmp_path / "bad.xlsx").write_bytes(b"PK not a zip")
    assert upload(client, tmp_path / "bad.xlsx").status_code == 422
    assert len(seen) == 3 and all("upload.xlsx" in names for names in seen)  # the upload was there while checked
    assert list(temp.iterdir()) == []


def test_the_check_page_words_a_blank_cell_and_an_unusable_file_plainly(client, tmp_path):
    """A blank cell has no figure to show: no “应为 —，实际 ”; an unusable file is explained in
    words, its code kept for programs (/api/check, the section's data-code), not printed."""
    path = tmp_path / "blank.xlsx"
    shutil.copyfile(EXAMPLE, path)
    wb = openpyxl.load_workbook(path)
    wb["表三"]["D4"] = None
    wb.save(path)
    page = upload(client, path, url="/check").text
    assert "表三!D4" in page and 'class="figures"' not in page and '应为 <strong class="expected">—' not in page
    (tmp_path / "broken.xlsx").write_bytes(EXAMPLE.read_bytes()[:3000])
    refused = upload(client, tmp_path / "broken.xlsx", url="/check")
    assert refused.status_code == 422 and 'data-code="damaged"' in refused.text
    assert "原因代码" not in refused.text and "BadZipFile" not in refused.text and "已损坏" in refused.text
