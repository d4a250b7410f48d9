"""A hostile inbox: names that are not UTF-8, link loops, links out of the inbox, folders that
cannot be listed. collect never crashes on them, never skips one without a word, and never
reads what a link outside the inbox points to."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import validator.collect.inbox as inbox_module

from conftest import ROOT
from support.inbox import EXAMPLE_JSON, collect, example, in_force, write_json


def unusable(data: dict) -> dict[str, tuple[str, str]]:
    return {f["file"]: (f["code"], f["reason"]) for f in data["files"] if f.get("status") == "无法读取"}


def test_names_that_are_not_utf8_are_listed_readably(tmp_path):
    """GBK names (unzip of a Windows archive, an old share) are shown as Windows shows them;
    bytes that are no text at all as \\xNN. The run goes on and writes its 汇总."""
    inbox = tmp_path / "inbox"
    write_json(inbox / "ok.json", example())
    folder = os.fsencode(inbox)
    shutil.copy(EXAMPLE_JSON, folder + b"/" + "财政局".encode("gbk") + b".json")
    (Path(os.fsdecode(folder + b"/\xff\xfe.json"))).write_text("x", encoding="utf-8")
    res, data = collect(inbox, tmp_path)
    assert res.code == 1 and (tmp_path / "汇总.xlsx").exists(), res.err
    files = {f["file"] for f in data["files"]}
    assert files == {"ok.json", "财政局.json", "\\xff\\xfe.json"}
    assert unusable(data)["\\xff\\xfe.json"][1].startswith("\\xff\\xfe.json：不是有效的 JSON")
    assert in_force(data) == 20  # the GBK-named copy is an identical copy: counted once


@pytest.mark.parametrize("kind", ["loop", "chain", "dangling"])
def test_links_that_lead_nowhere_are_listed(tmp_path, kind):
    inbox = tmp_path / "inbox"
    write_json(inbox / "ok.json", example())
    if kind == "loop":
        (inbox / "loop.json").symlink_to("loop.json")
    elif kind == "chain":
        (inbox / "loop.json").symlink_to("b")
        (inbox / "b").symlink_to("loop.json")
    else:
        (inbox / "loop.json").symlink_to("gone.json")
    res, data = collect(inbox, tmp_path)
    code, reason = unusable(data)["loop.json"]
    assert code == "not-found" and reason.startswith("loop.json：") and "链接" in reason
    assert res.code == 1 and in_force(data) == 20


def test_a_link_loop_named_like_an_output_does_not_crash_the_walk(tmp_path):
    """discover resolves a link only to compare it with the outputs: a loop there was exit 3."""
    inbox = tmp_path / "inbox"
    write_json(inbox / "ok.json", example())
    (inbox / "汇总.xlsx").symlink_to("汇总.xlsx")
    res, data = collect(inbox, tmp_path)
    assert res.code == 1 and "汇总.xlsx" in unusable(data)


def test_links_out_of_the_inbox_are_listed_never_read(tmp_path, monkeypatch):
    """A link to another office's report outside the inbox is not counted, and a link to a
    secret file is never even opened (the run's own open calls are watched)."""
    inbox = tmp_path / "inbox"
    write_json(inbox / "ok.json", example(name="甲局"))
    outside = write_json(tmp_path / "elsewhere" / "乙局.json", example(name="乙局"))
    secret = tmp_path / "secret.json"
    secret.write_text('{"password": 1}', encoding="utf-8")
    (inbox / "link.json").symlink_to(outside)
    (inbox / "secret.json").symlink_to(secret)
    (inbox / "sub").mkdir()
    (inbox / "sub" / "inside.json").symlink_to(inbox / "ok.json")  # inside: read, an identical copy
    opened: list[str] = []
    real_open = os.open

    def watched_open(path, *args, **kwargs):
        fd = real_open(path, *args, **kwargs)
        opened.append(os.readlink(f"/proc/self/fd/{fd}"))  # the file actually opened
        return fd

    monkeypatch.setattr(os, "open", watched_open)
    monkeypatch.setattr("builtins.open", _watched(open, opened))
    res, data = collect(inbox, tmp_path)
    found = unusable(data)
    assert found["link.json"][0] == found["secret.json"][0] == "link-outside"
    assert "收件文件夹以外" in found["link.json"][1]
    assert [b["name"] for b in data["bodies"]] == ["甲局"] and in_force(data) == 20
    assert opened and not {str(outside.resolve()), str(secret.resolve())} & set(opened)
    assert not any(str(tmp_path) in reason for _code, reason in found.values())
    assert res.code == 1


def _watched(real_open, opened: list[str]):
    def watched(file, *args, **kwargs):
        fh = real_open(file, *args, **kwargs)
        if hasattr(fh, "fileno"):
            opened.append(os.readlink(f"/proc/self/fd/{fh.fileno()}"))
        return fh

    return watched


def test_a_folder_that_cannot_be_listed_is_named_not_skipped(tmp_path, monkeypatch):
    """Whatever denies the listing (permissions, an ACL on a share, an I/O error): the folder is
    listed as 无法读取 with the reason, and the run ends with exit 1."""
    inbox = tmp_path / "inbox"
    write_json(inbox / "a.json", example(name="甲局"))
    write_json(inbox / "乡镇" / "0.json", example(name="乙镇"))
    real_scandir = os.scandir

    def scandir(path):
        if Path(path).name in deny:
            raise OSError(errno.EACCES if deny[Path(path).name] == "acl" else errno.EIO, "denied")
        return real_scandir(path)

    monkeypatch.setattr(inbox_module.os, "scandir", scandir)
    for reason, shown in (("acl", "没有权限"), ("io", "磁盘或网络共享读写错误")):
        deny = {"乡镇": reason}
        res, data = collect(inbox, tmp_path)
        assert unusable(data)["乡镇/"] == ("not-found", f"乡镇/：文件夹无法打开（{shown}），其中的文件一个也没有读取")
        assert [b["name"] for b in data["bodies"]] == ["甲局"] and res.code == 1
    deny = {"inbox": "acl"}
    res, data = collect(inbox, tmp_path)
    assert list(unusable(data)) == ["./"] and unusable(data)["./"][1].startswith("收件文件夹本身：")
    assert res.code == 1 and "没有报送文件" not in res.out


def _unprivileged() -> list[str] | None:
    """A command prefix under which file permissions apply (root ignores chmod 000)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}"]


@pytest.mark.slow
def test_permissions_that_deny_listing_are_reported_by_a_real_run(tmp_path):
    prefix = _unprivileged()
    if prefix is None:
        pytest.skip("needs a non-root user or setpriv")
    tmp_path.chmod(0o755)
    inbox = tmp_path / "inbox"
    write_json(inbox / "a.json", example(name="甲局"))
    for i in range(3):
        write_json(inbox / "乡镇" / f"{i}.json", example(name=f"乡镇{i}"))
    command = [*prefix, sys.executable, "-c", "import sys; from validator.cli.program import main; sys.exit(main())"]
    args = ["collect", str(inbox), "-o", str(tmp_path / "o.xlsx"), "--quiet"]
    (inbox / "乡镇").chmod(0)
    try:
        run = subprocess.run([*command, *args], capture_output=True, text=True, cwd=ROOT)
        assert run.returncode == 1 and "乡镇/：文件夹无法打开（没有权限）" in run.stderr, run.stderr
        assert "无法读取 1（乡镇/）" in run.stdout
        (inbox / "乡镇").chmod(0o755)
        inbox.chmod(0)
        run = subprocess.run([*command, *args], capture_output=True, text=True, cwd=ROOT)
        assert run.returncode == 1 and "收件文件夹本身：文件夹无法打开（没有权限）" in run.stderr, run.stderr
    finally:
        inbox.chmod(0o755)
        (inbox / "乡镇").chmod(0o755)
