"""The staff command line on a fresh SQLite file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot.orders.cli import main


@pytest.fixture()
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def run(url: str, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--database-url", url, "--actor", "staff:测试", *args], out=out)
    return code, out.getvalue()


def test_demo_list_advance_reassign_show_and_export(url, tmp_path, kb):
    code, text = run(url, "demo", "--orders", "3")
    assert code == 0 and "示例工单 3 条" in text
    districts = sum(len(region.districts) + 1 for region in kb.regions)
    assert f"新增客户经理 {districts} 名" in text
    assert "新增客户经理 0 名" in run(url, "demo")[1]  # idempotent

    _, listing = run(url, "list", "--stage", "submitted")
    number = listing.splitlines()[0].split("\t")[0]
    assert "138****" in listing and "13800000000" not in listing

    assert run(url, "advance", number, "--note", "已派单给客户经理")[1].strip().endswith("已派单")
    _, managers = run(url, "managers", "--region", "yantai")
    other = managers.splitlines()[-1].split("\t")[0]
    assert run(url, "reassign", number, other, "--note", "就近")[0] == 0
    _, shown = run(url, "show", number)
    assert "当前阶段：已派单" in shown and "已派单给客户经理" in shown and "改派客户经理" in shown

    out_file = tmp_path / "orders.csv"
    assert run(url, "export-csv", "--out", str(out_file))[0] == 0
    rows = list(csv.DictReader(out_file.open(encoding="utf-8-sig")))
    assert len(rows) == 3 and all("****" in row["phone"] for row in rows)
    revealed = list(csv.DictReader(io.StringIO(run(url, "export-csv", "--reveal")[1])))
    assert any(row["phone"] == "13800000000" for row in revealed)


def test_errors_are_reported_not_raised(url, capsys):
    assert run(url, "advance", "1234567890", "--note", "x")[0] == 1
    assert "找不到工单" in capsys.readouterr().err
    run(url, "demo", "--orders", "1")
    number = run(url, "list")[1].splitlines()[0].split("\t")[0]
    run(url, "advance", number, "--to", "cancelled", "--note", "客户取消")
    assert run(url, "advance", number, "--note", "再推进")[0] == 1


def test_stages_are_listed(url):
    assert "submitted\t已预约" in run(url, "stages")[1]
