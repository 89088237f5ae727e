"""Hostile files a user can hand us (registers, rosters, score workbooks): each is read
within 30 s and 1 GB, and ends in a correct import or a clear refusal.

Every file is generated here: a stray cell at XFD2000, a merge over the whole sheet, zip
bombs whose sheet inflates to about 1 GB (built streaming: the test never holds it).
The command runs in a subprocess whose children's peak memory (the CLI and its reading
worker) is measured with ``getrusage(RUSAGE_CHILDREN)``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from review_desk.intake.bounded_read import MAX_RATIO, FileRefused, run_limited
from review_desk.project import Project
from tests.intake import registers
from tests.support import libreoffice_convert

LIMIT_SECONDS = 30.0
LIMIT_MB = 1024

# Runs argv[1:] and prints what it did, with the peak resident memory of the largest
# process under it (the CLI or its reading worker, both waited for).
_MEASURE = """
import json, resource, subprocess, sys, time
start = time.monotonic()
try:
    done = subprocess.run(sys.argv[1:], capture_output=True, text=True, encoding="utf-8",
                          timeout=120)
    code, out, err = done.returncode, done.stdout, done.stderr
except subprocess.TimeoutExpired:
    code, out, err = None, "", "timeout"
print(json.dumps({
    "code": code, "out": out, "err": err, "seconds": time.monotonic() - start,
    "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
"""


def measured(*argv: str) -> dict[str, object]:
    """Run a command; return its exit code, output, duration and peak memory (MB)."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *argv],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def cli(*args: str) -> dict[str, object]:
    """Run ``review-desk`` with args, measured."""
    return measured(sys.executable, "-m", "review_desk", *args)


def assert_bounded(result: dict[str, object]) -> None:
    """Finished in time and memory, and no traceback reached the user."""
    print(f"{float(result['seconds']):.1f} s, peak {float(result['peak_mb']):.0f} MB")  # type: ignore[arg-type]
    assert result["code"] is not None, "the command did not finish"
    assert float(result["seconds"]) <= LIMIT_SECONDS, result  # type: ignore[arg-type]
    assert float(result["peak_mb"]) <= LIMIT_MB, result  # type: ignore[arg-type]
    assert "Traceback" not in str(result["err"]), result["err"]


def _new_project(tmp_path: Path, name: str) -> Path:
    """An empty project (made in-process: what is measured is the command after it)."""
    project = tmp_path / f"{name}.rdp"
    Project.create(project, name=name).close()
    return project


def intake(tmp_path: Path, register: Path, files: Path) -> dict[str, object]:
    """Import a register into a new project through the CLI, measured."""
    project = _new_project(tmp_path, register.stem)
    return cli("intake", str(project), "--register", str(register), "--files", str(files), "--json")


def outcome(result: dict[str, object]) -> dict[str, object]:
    """What an import reported, without the register's path."""
    report: dict[str, object] = json.loads(str(result["out"]))
    report.pop("register")
    return report


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The PDFs of the messy register's valid applications."""
    folder = tmp_path_factory.mktemp("pdfs")
    registers.write_pdfs(folder)
    return folder


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory, files: Path) -> dict[str, object]:
    """What importing the messy register does, for comparison."""
    folder = tmp_path_factory.mktemp("plain")
    register = folder / "messy.xlsx"
    registers.write_messy_xlsx(register)
    result = intake(folder, register, files)
    assert result["code"] == 1 and json.loads(str(result["out"]))["rows_read"] > 0, result
    return result


class _RepeatDeflate:
    """Raw deflate at level 9 that ends every chunk with a full flush, which resets the
    compressor: an identical chunk then compresses to identical bytes, so a run of
    equal chunks (a bomb's filler) is compressed once and its bytes written again. The
    stream is ordinary deflate (see ``test_the_bomb_builder_writes_a_genuine_member``)."""

    def __init__(self) -> None:
        self._zlib = zlib.compressobj(9, zlib.DEFLATED, -15)
        self._last: tuple[bytes, bytes] | None = None

    def compress(self, data: bytes) -> bytes:
        if self._last is not None and self._last[0] == data:
            return self._last[1]
        out = self._zlib.compress(data) + self._zlib.flush(zlib.Z_FULL_FLUSH)
        self._last = (bytes(data), out)
        return out

    def flush(self) -> bytes:
        return self._zlib.flush()


def _rewrite_sheet(source: Path, target: Path, patch: Any) -> None:
    """Copy a workbook, writing its first sheet's XML as ``patch(xml)`` yields it,
    streaming and deflated at level 9 (about 1,000:1 on white space, as a real bomb)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                entry = zipfile.ZipInfo(info.filename, info.date_time)
                entry.compress_type = zipfile.ZIP_DEFLATED
                with new.open(entry, "w", force_zip64=True) as stream:
                    assert stream._compressor is not None  # type: ignore[attr-defined]
                    stream._compressor = _RepeatDeflate()  # type: ignore[attr-defined]
                    for chunk in patch(data):
                        stream.write(chunk)
            else:
                new.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)


def _bomb(source: Path, target: Path, filler: Iterator[bytes]) -> None:
    def patch(xml: bytes) -> Iterator[bytes]:
        head, tail = xml.split(b"</sheetData>", 1)
        yield head
        yield from filler
        yield b"</sheetData>" + tail

    _rewrite_sheet(source, target, patch)


def _whitespace(megabytes: int) -> Iterator[bytes]:
    chunk = b" " * (1 << 20)
    for _number in range(megabytes):
        yield chunk


def _repeated_rows(megabytes: int) -> Iterator[bytes]:
    """Rows of long inline text after the register's rows, ``megabytes`` of XML in
    chunks of about 1 MB (rows without a number: each goes below the one before)."""
    text = "申报材料" * 700
    row = f'<row><c t="inlineStr"><is><t>{text}</t></is></c></row>'.encode()
    chunk = row * ((1 << 20) // len(row) + 1)
    for _number in range(megabytes):
        yield chunk


def test_the_bomb_builder_writes_a_genuine_member(tmp_path: Path) -> None:
    """The bombs' sheet inflates, by plain zipfile, to exactly the filler written."""
    source = tmp_path / "messy.xlsx"
    registers.write_messy_xlsx(source)
    for name, filler in (("space", _whitespace(3)), ("rows", _repeated_rows(3))):
        chunks = list(filler)
        register = tmp_path / f"{name}.xlsx"
        _bomb(source, register, iter(chunks))
        with zipfile.ZipFile(register) as archive:
            assert archive.testzip() is None
            sheet = archive.read("xl/worksheets/sheet1.xml")
            info = archive.getinfo("xl/worksheets/sheet1.xml")
        assert b"".join(chunks) in sheet and len(sheet) == info.file_size
        assert info.file_size > 3 << 20 and info.file_size / info.compress_size > MAX_RATIO


def test_a_stray_cell_at_xfd2000_imports_like_the_plain_register(
    tmp_path: Path, files: Path, plain: dict[str, object]
) -> None:
    from openpyxl import load_workbook

    register = tmp_path / "stray.xlsx"
    registers.write_messy_xlsx(register)
    workbook = load_workbook(register)
    workbook.active["XFD2000"] = "x"
    workbook.save(register)
    result = intake(tmp_path, register, files)
    assert_bounded(result)
    assert result["code"] == plain["code"]
    assert outcome(result) == outcome(plain)


def _patch_merge(source: Path, target: Path, ref: str) -> None:
    def patch(xml: bytes) -> Iterator[bytes]:
        text = xml.decode("utf-8")
        merges = re.search(r"<mergeCells count=\"(\d+)\">", text)
        assert merges is not None
        count = int(merges.group(1)) + 1
        text = text.replace(merges.group(0), f'<mergeCells count="{count}">')
        yield text.replace("</mergeCells>", f'<mergeCell ref="{ref}"/></mergeCells>').encode()

    _rewrite_sheet(source, target, patch)


def test_a_merge_over_the_whole_sheet_is_not_expanded(tmp_path: Path, files: Path) -> None:
    source = tmp_path / "messy.xlsx"
    registers.write_messy_xlsx(source)
    register = tmp_path / "merged.xlsx"
    _patch_merge(source, register, "A1:XFD1048576")
    result = intake(tmp_path, register, files)
    assert_bounded(result)
    # The title cell now covers every cell: there is no header row left, and we say so.
    assert result["code"] == 2, result
    assert "merged.xlsx" in str(result["err"]) and "表头" in str(result["err"]), result


def test_a_merge_beyond_the_used_area_is_ignored(
    tmp_path: Path, files: Path, plain: dict[str, object]
) -> None:
    source = tmp_path / "messy.xlsx"
    registers.write_messy_xlsx(source)
    register = tmp_path / "far_merge.xlsx"
    _patch_merge(source, register, "A2000:XFD1048576")
    result = intake(tmp_path, register, files)
    assert_bounded(result)
    assert outcome(result) == outcome(plain)


@pytest.mark.parametrize(
    ("name", "filler"),
    [
        ("rows_bomb", lambda: _repeated_rows(1024)),  # 1 GB of rows
        ("space_bomb", lambda: _whitespace(1024)),  # 1 GB of white space, ~1 MB zipped
        ("space_60mb", lambda: _whitespace(60)),  # within the size limit, not the ratio
    ],
)
def test_a_zip_bomb_is_refused_before_parsing(
    tmp_path: Path, files: Path, name: str, filler: object
) -> None:
    source = tmp_path / "messy.xlsx"
    registers.write_messy_xlsx(source)
    register = tmp_path / f"{name}.xlsx"
    _bomb(source, register, filler())  # type: ignore[operator]
    assert register.stat().st_size < 20 << 20
    result = intake(tmp_path, register, files)
    assert_bounded(result)
    assert result["code"] == 2, result
    err = str(result["err"])
    assert f"{name}.xlsx" in err and "已拒绝" in err, err
    assert ("MB" in err) or ("压缩比" in err), err
    assert len(err.strip().splitlines()) == 1, err


def test_white_space_below_the_limits_imports(
    tmp_path: Path, files: Path, plain: dict[str, object]
) -> None:
    source = tmp_path / "messy.xlsx"
    registers.write_messy_xlsx(source)
    register = tmp_path / "spaced.xlsx"
    _bomb(source, register, iter([b" " * 900_000]))  # below the 1 MB ratio floor
    result = intake(tmp_path, register, files)
    assert_bounded(result)
    assert outcome(result) == outcome(plain)


def test_csv_line_length_and_size_are_bounded(tmp_path: Path, files: Path) -> None:
    long_line = tmp_path / "long.csv"
    registers.write_messy_csv(long_line, "utf-8")
    with long_line.open("a", encoding="utf-8") as stream:
        stream.write("x" * 200_000 + "\n")
    result = intake(tmp_path, long_line, files)
    assert_bounded(result)
    assert result["code"] == 2 and "long.csv" in str(result["err"]), result
    assert "200000" not in str(result["err"]) and "100000" in str(result["err"])
    big = tmp_path / "big.csv"
    registers.write_messy_csv(big, "utf-8")
    with big.open("a", encoding="utf-8") as stream:
        line = "," * 1000 + "\n"
        for _number in range(60 * 1024):
            stream.write(line)
    result = intake(tmp_path, big, files)
    assert_bounded(result)
    assert result["code"] == 2 and "big.csv" in str(result["err"]), result
    assert "50 MB" in str(result["err"]), result


def _sleep_forever() -> None:
    while True:
        time.sleep(1)


def _eat_memory() -> int:
    hog = [bytearray(64 << 20) for _number in range(64)]  # 4 GB
    return len(hog)


def _crash() -> None:
    import os

    os._exit(3)


def test_the_worker_is_stopped_at_its_time_limit() -> None:
    started = time.monotonic()
    with pytest.raises(FileRefused, match=r"slow\.xlsx\D*1 秒"):
        run_limited(_sleep_forever, file="slow.xlsx", timeout=1)
    assert time.monotonic() - started < 10


def test_a_worker_out_of_memory_is_a_refusal_not_an_empty_result() -> None:
    with pytest.raises(FileRefused, match=r"big\.xlsx.*1 GB"):
        run_limited(_eat_memory, file="big.xlsx")


def test_a_worker_that_dies_is_a_refusal() -> None:
    with pytest.raises(FileRefused, match=r"dead\.xlsx.*3"):
        run_limited(_crash, file="dead.xlsx")


_ROSTER = """
import sys
from pathlib import Path
from review_desk import panels
from review_desk.project import Project
with Project(Path(sys.argv[1])) as project:
    result = panels.import_roster(project, Path(sys.argv[2]))
    print(result.added, len(result.issues))
"""


def test_a_roster_with_a_stray_far_cell_imports(tmp_path: Path) -> None:
    from openpyxl import Workbook

    roster = tmp_path / "roster.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2022年评审专家库"])
    sheet.append(["序号", "专家姓名", "工作单位", "专业领域", "联系电话", "电子邮箱"])
    sheet.append([1, "钱学文", "山西大学", "材料", "0351-7010000", "qian@sxu.example.cn"])
    sheet.append([2, "孙明", "太原科技大学", "机械", "13900000001", "sun@tyust.example.cn"])
    sheet.merge_cells("A1:XFD1")
    sheet["XFD2000"] = "x"
    workbook.save(roster)
    project = _new_project(tmp_path, "roster")
    result = measured(sys.executable, "-c", _ROSTER, str(project), str(roster))
    assert_bounded(result)
    assert result["code"] == 0 and str(result["out"]).split() == ["2", "0"], result


_SHEETS = """
import sys
from pathlib import Path
from openpyxl import load_workbook
from review_desk.project import Project
from review_desk.score_sheets_excel import SHEET, export_sheets, import_sheets
from tests.scoring.test_scoring import free_assignment
out = Path(sys.argv[2])
with Project(sys.argv[1]) as project:
    expert, _dossier = free_assignment(project)
    export_sheets(project, expert, out)
    workbook = load_workbook(out)
    sheet = workbook[SHEET]
    sheet.cell(3, 5).value = 9.5
    sheet["XFD2000"] = "x"
    workbook.save(out)
    result = import_sheets(project, out)
    print(result.stored, len(result.issues))
"""


def test_a_score_workbook_with_a_stray_far_cell_imports(demo_project: Path, tmp_path: Path) -> None:
    result = measured(sys.executable, "-c", _SHEETS, str(demo_project), str(tmp_path / "s.xlsx"))
    assert_bounded(result)
    assert result["code"] == 0 and str(result["out"]).split() == ["True", "0"], result


def test_the_issue_report_of_a_hostile_register_is_bounded(tmp_path: Path, files: Path) -> None:
    from openpyxl import load_workbook

    source = tmp_path / "messy.xlsx"
    registers.write_messy_xlsx(source)
    register = tmp_path / "far_merge.xlsx"
    _patch_merge(source, register, "A2000:XFD1048576")
    project = _new_project(tmp_path, "report")
    report = tmp_path / "report.xlsx"
    result = cli(
        "intake", str(project), "--register", str(register), "--files", str(files),
        "--report", str(report), "--json",
    )  # fmt: skip
    assert_bounded(result)
    assert result["code"] == 1, result
    workbook = load_workbook(report, read_only=True)
    assert workbook.sheetnames[0] == "问题清单"
    problems = list(workbook.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert len(problems) == len(json.loads(str(result["out"]))["issues"])


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_a_register_resaved_by_libreoffice_reads_the_same(tmp_path: Path) -> None:
    """LibreOffice writes styled empty cells, inline strings and its own dimensions: the
    streamed reading finds the same rows and problems as in the original."""
    from review_desk.intake.register_reader import read_register
    from review_desk.intake.register_rows import check_register

    original = tmp_path / "messy.xlsx"
    registers.write_messy_xlsx(original)
    resaved = libreoffice_convert(original, "xlsx", tmp_path)  # same name, another folder

    def seen(path: Path) -> tuple[object, ...]:
        table = read_register(path)
        check = check_register(table)
        issues = sorted((i.row, i.column, i.problem) for i in check.issues)
        valid = sorted((a.row, a.credit_code, a.direction) for a in check.valid_applications())
        return table.header_row, table.columns, issues, valid

    assert seen(resaved) == seen(original)
