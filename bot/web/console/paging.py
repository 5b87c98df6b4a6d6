"""Pages and sorting of the console's lists, all in the query string: `page` (from 1), `sort` (a column key
the list offers) and `dir` (asc | desc). Links to other pages and sort orders keep every filter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from bot.untrusted import ascii_int

PAGE_SIZE = 25
MAX_PAGE_DIGITS = 6  # page 999999 at most: anything larger is page 1


@dataclass(frozen=True)
class Sorting:
    """The requested order of a list: a key of `columns` and a direction, else the list's default."""

    key: str
    descending: bool

    @property
    def direction(self) -> str:
        return "desc" if self.descending else "asc"

    @classmethod
    def read(cls, query: Mapping[str, str], columns: Mapping[str, object], default: str,
             default_descending: bool = True) -> Sorting:
        key = query.get("sort", "")
        if key not in columns:
            return cls(default, default_descending)
        wanted = query.get("dir", "")
        return cls(key, default_descending if wanted not in ("asc", "desc") else wanted == "desc")


def page_number(query: Mapping[str, str]) -> int:
    found = ascii_int(query.get("page", "1"), MAX_PAGE_DIGITS)
    return found if found is not None and found >= 1 else 1


@dataclass(frozen=True)
class Pager:
    """One page of a list of `total` rows, and the links to the others (the filters kept)."""

    path: str
    params: tuple[tuple[str, str], ...]  # the filters and the sort order, without the page
    number: int
    total: int
    size: int = PAGE_SIZE
    sorting: Sorting = field(default_factory=lambda: Sorting("", True))

    @classmethod
    def make(cls, path: str, filters: Mapping[str, str], requested: int, total: int, sorting: Sorting,
             size: int = PAGE_SIZE) -> Pager:
        params = tuple((k, v) for k, v in filters.items() if v) + (("sort", sorting.key), ("dir", sorting.direction))
        pages = max((total + size - 1) // size, 1)
        return cls(path, params, min(requested, pages), total, size, sorting)

    @property
    def pages(self) -> int:
        return max((self.total + self.size - 1) // self.size, 1)

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def first_row(self) -> int:
        return self.offset + 1 if self.total else 0

    @property
    def last_row(self) -> int:
        return min(self.offset + self.size, self.total)

    def url(self, page: int | None = None, **changes: str) -> str:
        values = dict(self.params) | changes
        if page is not None and page > 1:
            values["page"] = str(page)
        return f"{self.path}?{urlencode(values)}"

    def page_url(self, page: int) -> str:
        return self.url(page)

    def sort_url(self, key: str, default_descending: bool = False) -> str:
        """The link of a column head: this column, the other way round when it is the current order."""
        if key == self.sorting.key:
            direction = "asc" if self.sorting.descending else "desc"
        else:
            direction = "desc" if default_descending else "asc"
        return self.url(sort=key, dir=direction)

    def sort_mark(self, key: str) -> str:
        if key != self.sorting.key:
            return ""
        return "▼" if self.sorting.descending else "▲"

    def aria_sort(self, key: str) -> str:
        if key != self.sorting.key:
            return "none"
        return "descending" if self.sorting.descending else "ascending"

    def nearby(self, span: int = 2) -> list[int | None]:
        """Page numbers to link: the first, the last and those near this one (None: a gap, shown as …)."""
        wanted = sorted({1, self.pages, *range(max(self.number - span, 1), min(self.number + span, self.pages) + 1)})
        shown: list[int | None] = []
        for number in wanted:
            last = shown[-1] if shown else None
            if last is not None and number - last > 1:
                shown.append(None)
            shown.append(number)
        return shown

    @property
    def filters(self) -> list[tuple[str, str]]:
        """The query's values besides the page: hidden fields of a form that must keep them (export)."""
        return list(self.params)
