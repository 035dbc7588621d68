"""The subset of JQL the workflow's searches use; anything else is a JqlError, which
the REST API answers with 400 as real Jira does for a query it cannot run."""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from local_cloud.fake_jira.model import FakeIssue, now


class JqlError(ValueError):
    """The query uses JQL the fake does not understand (real Jira answers 400 too)."""


_CLAUSE = re.compile(
    r"""\s*(?P<field>[A-Za-z]+)\s*
        (?:(?P<op>!=|>=|<=|=|>|<)\s*(?P<value>"[^"]*"|'[^']*'|[^\s()]+)
          |(?P<neg>not\s+)?in\s*\((?P<values>[^)]*)\))\s*""",
    re.IGNORECASE | re.VERBOSE,
)
# AND outside quotes: the lookahead requires the rest of the query to hold whole quotes.
_AND = re.compile(r"\band\b(?=(?:[^\"']|\"[^\"]*\"|'[^']*')*$)", re.IGNORECASE)
_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)
_OR = re.compile(r"\bor\b", re.IGNORECASE)
_ORDER_TERM = re.compile(r"\s*(?P<field>[A-Za-z]+)(?:\s+(?P<dir>asc|desc))?\s*", re.IGNORECASE)
_ORDER_FIELDS = frozenset({"created", "updated", "key", "id"})
_FIELD_ALIASES = {"type": "issuetype", "createddate": "created", "updateddate": "updated"}
_TEXT_FIELDS = frozenset({"project", "issuetype", "status", "labels", "key"})
_DATE_FIELDS = frozenset({"created", "updated"})
_NEGATIVE_OPERATORS = frozenset({"!=", "not in"})
_DATE_COMPARISONS: dict[str, Callable[[datetime, datetime], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}
_RELATIVE_DATE = re.compile(r"^([+-]?\d+)([wdhm])$")
_RELATIVE_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
_ABSOLUTE_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")


@dataclass(frozen=True)
class Clause:
    field: str
    op: str
    values: tuple[str, ...]

    def matches(self, issue: FakeIssue, status_id: Callable[[str], str] | None = None) -> bool:
        if self.field in _DATE_FIELDS:
            return self._compare_date(getattr(issue, self.field))
        folded = {v.casefold() for v in self.values}
        actuals = _text_values(issue, self.field)
        if self.field == "status" and status_id is not None:
            actuals = [*actuals, status_id(issue.status)]  # `status = 10001` matches by id
        hit = any(actual.casefold() in folded for actual in actuals)
        return not hit if self.op in _NEGATIVE_OPERATORS else hit

    def _compare_date(self, when: datetime) -> bool:
        compare = _DATE_COMPARISONS.get(self.op)
        if compare is None:
            raise JqlError(f"operator {self.op!r} is not supported for dates")
        return compare(when, _jql_date(self.values[0]))


@dataclass(frozen=True)
class JqlFilter:
    """`field = v`, `field != v`, `field in (...)`, `field not in (...)`, date comparisons
    on created/updated (`-1d`, `"2026-01-31 10:00"`), joined by AND; ORDER BY created,
    updated, key or id, ASC or DESC (the issue id breaks ties, in the same direction)."""

    clauses: tuple[Clause, ...]
    order: tuple[tuple[str, bool], ...] = ()  # (field, descending)

    @classmethod
    def parse(cls, jql: str) -> JqlFilter:
        where, *order_by = _ORDER_BY.split(jql, maxsplit=1)
        where = where.strip()
        order = _parse_order(order_by[0]) if order_by else ()
        if not where:
            return cls((), order)
        if _OR.search(where):
            raise JqlError("OR is not supported by the fake")
        return cls(tuple(_parse_clause(part) for part in _AND.split(where)), order)

    def select(
        self, issues: Iterable[FakeIssue], status_id: Callable[[str], str] | None = None
    ) -> list[FakeIssue]:
        """The matching issues in the query's order (by id, oldest first, without one);
        `status_id` names a status's id, for queries by status id."""
        chosen = sorted(
            (i for i in issues if all(c.matches(i, status_id) for c in self.clauses)),
            key=lambda i: int(i.id),
        )
        for name, descending in reversed(self.order):  # stable sorts: last key first
            chosen.sort(key=functools.partial(_order_key, name=name), reverse=descending)
        return chosen


def _parse_order(text: str) -> tuple[tuple[str, bool], ...]:
    terms = []
    for part in text.split(","):
        match = _ORDER_TERM.fullmatch(part)
        if match is None:
            raise JqlError(f"cannot parse ORDER BY {part.strip()!r}")
        name = _FIELD_ALIASES.get(match["field"].lower(), match["field"].lower())
        if name not in _ORDER_FIELDS:
            raise JqlError(f"ORDER BY {match['field']!r} is not supported by the fake")
        terms.append((name, (match["dir"] or "asc").lower() == "desc"))
    return tuple(terms)


def _order_key(issue: FakeIssue, name: str) -> tuple[float, int]:
    if name in _DATE_FIELDS:
        return (getattr(issue, name).timestamp(), int(issue.id))
    if name == "key":
        return (int(issue.key.rsplit("-", 1)[1]), int(issue.id))  # within a project, as Jira
    return (0.0, int(issue.id))


def _parse_clause(text: str) -> Clause:
    match = _CLAUSE.fullmatch(text)
    if match is None:
        raise JqlError(f"cannot parse {text.strip()!r}")
    name = match["field"].lower()
    name = _FIELD_ALIASES.get(name, name)
    if name not in _TEXT_FIELDS | _DATE_FIELDS:
        raise JqlError(f"field {match['field']!r} is not supported by the fake")
    if match["values"] is not None:
        values = tuple(_unquote(v) for v in match["values"].split(",") if v.strip())
        return Clause(name, "not in" if match["neg"] else "in", values)
    return Clause(name, match["op"], (_unquote(match["value"]),))


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _text_values(issue: FakeIssue, name: str) -> list[str]:
    values = {
        "project": [issue.project_key],
        "issuetype": [issue.issue_type],
        "status": [issue.status],
        "labels": issue.labels,
        "key": [issue.key],
    }
    return values[name]


def _jql_date(value: str) -> datetime:
    relative = _RELATIVE_DATE.match(value)
    if relative:
        return now() + timedelta(**{_RELATIVE_UNITS[relative[2]]: int(relative[1])})
    for pattern in _ABSOLUTE_DATE_FORMATS:
        try:
            return datetime.strptime(value, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise JqlError(f"date value {value!r} is not supported by the fake")
