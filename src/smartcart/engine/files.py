"""What both input rooms (customers in `data`, order lines in `orders`) read the same way: a
Parquet data set's files, a mapping file's TOML, and the checks its sections share. Every
mistake is one DataError naming the file (and the entry).

It sits above the rooms because `data` enters `orders` (order files are its second input
contract), so `orders` cannot use what lives in `data`.
"""

from __future__ import annotations

import difflib
import glob
import tomllib
from datetime import datetime
from pathlib import Path

from smartcart.engine.errors import DataError

PARQUET_SUFFIXES = (".parquet", ".pq")


def dataset_files(source: str | Path) -> list[str]:
    """The Parquet files of a folder (recursively) or a glob, sorted: the data set's row order."""
    text = str(source)
    if Path(text).is_dir():
        found = [str(p) for p in Path(text).rglob("*") if p.suffix.lower() in PARQUET_SUFFIXES]
    else:
        found = [p for p in glob.glob(text, recursive=True) if Path(p).is_file()]
    if not found:
        raise DataError(
            f"{text}: no Parquet files found (expected a folder or a glob of *.parquet)"
        )
    others = [f for f in found if Path(f).suffix.lower() not in PARQUET_SUFFIXES]
    if others:
        raise DataError(f"{others[0]}: a data set is read as Parquet files, and this is not one")
    return sorted(found)


def read_toml(path: str | Path) -> dict:
    """A mapping file's TOML document; missing, not TOML or not text is one DataError."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: mapping file not found")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as error:
        raise DataError(f"{path}: not valid TOML ({error})") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text file (a mapping is TOML text)") from None


def toml_table(value: object, name: str, where: str) -> dict:
    """A section `[name]` of the file `where`, which must be a table of lines."""
    if not isinstance(value, dict):
        raise DataError(f'{where}: [{name}] must be a table of `key = "value"` lines')
    return value


def did_you_mean(name: str, choices: list[str]) -> str:
    """` (did you mean X?)` when one of `choices` is close to `name`, else nothing."""
    found = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f" (did you mean {found[0]}?)" if found else ""


def is_date_format(fmt: str) -> bool:
    """Whether `fmt` (strftime codes) writes and reads back a day: day, month and year."""
    sample = datetime(2013, 11, 25)
    try:
        return datetime.strptime(sample.strftime(fmt), fmt).date() == sample.date()
    except ValueError:
        return False


def unique_names(names: list[str]) -> list[str]:
    """Repeated header names get `.1`, `.2`... (as pandas names them)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        out.append(name if count == 0 else f"{name}.{count}")
    return out
