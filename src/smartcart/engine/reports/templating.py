"""Jinja templates (playbooks, digest) in a sandbox, editable without touching code.

- Sandboxed: a template cannot reach Python internals (`''.__class__.__mro__` is refused).
- Strict: an undefined name is an error naming the file and line, never a silent blank.
- Overridable: `SMARTCART_TEMPLATES` names a folder searched first; a file missing there falls
  back to the built-in one. The built-in templates are package data of the installed
  distribution (the package `smartcart_templates`, whose source is the repository's
  `templates/` folder; see setup.py), found with importlib.resources from any directory.
- Resilient: when a template that rendered before breaks (a marketer's edit), the last good
  version keeps being used and the problem is logged.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from functools import wraps
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    TemplateSyntaxError,
    Undefined,
)
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from smartcart.engine.errors import SegmentationError

logger = logging.getLogger(__name__)

BUILTIN_PACKAGE = "smartcart.templates"
TEMPLATE_EXTENSION = ".j2"


def builtin_templates_folder() -> Path:
    """The folder of the built-in templates: package data of `smartcart.templates`."""
    return Path(str(resources.files(BUILTIN_PACKAGE)))


BUILTIN_TEMPLATES = builtin_templates_folder()


class TemplateProblem(SegmentationError):
    """A template cannot be used; the message names the file and line."""


def percent(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}%}"


def money(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def times(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


def signed(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:+,.{digits}f}"


def number(value: float | None) -> str:
    """A count as people read it: 1,234."""
    return "n/a" if value is None else f"{value:,.0f}"


def defined_only(number_filter: Callable[..., str]) -> Callable[..., str]:
    """A filter that fails like StrictUndefined on an undefined value (not with a TypeError)."""

    @wraps(number_filter)
    def checked(value: Any, *args: Any) -> str:
        if isinstance(value, Undefined):
            str(value)  # raises UndefinedError naming what is undefined
        return number_filter(value, *args)

    return checked


FILTERS = {
    name: defined_only(function)
    for name, function in {
        "percent": percent,
        "money": money,
        "times": times,
        "signed": signed,
        "number": number,
    }.items()
}


MAX_REPEAT_LENGTH = 100_000
MAX_EXPONENT = 100


class BoundedSandbox(SandboxedEnvironment):
    """The sandbox, plus limits on `*` and `**` so a template cannot exhaust memory or CPU
    (`{{ 'a' * 10**9 }}`, `{{ 9 ** 9 ** 9 }}`)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is above the template limit of {MAX_EXPONENT}")
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                repeated = isinstance(sequence, str | list | tuple) and isinstance(times, int)
                if repeated and len(sequence) * times > MAX_REPEAT_LENGTH:
                    raise SecurityError(
                        f"repeating a value to {len(sequence) * times:,} items is above the "
                        f"template limit of {MAX_REPEAT_LENGTH:,}"
                    )
        return super().call_binop(context, operator, left, right)


class Templates:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder else None
        folders = [str(p) for p in (self.folder, BUILTIN_TEMPLATES) if p is not None]
        self.environment = BoundedSandbox(
            loader=ChoiceLoader([FileSystemLoader(f) for f in folders]),
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.environment.filters.update(FILTERS)
        self._last_good: dict[str, Template] = {}

    def names(self, prefix: str = "") -> list[str]:
        names = self.environment.list_templates(filter_func=is_template)
        return sorted(n for n in names if n.startswith(prefix))

    def origin(self, name: str) -> Path:
        """Which file a template name resolves to (the deployment's or the built-in one)."""
        for folder in (self.folder, BUILTIN_TEMPLATES):
            if folder is not None and (folder / name).is_file():
                return folder / name
        raise TemplateProblem(f"template {name} not found in {self.folder or BUILTIN_TEMPLATES}")

    def render(self, template_name: str, /, **context: Any) -> str:
        """Render a template; if it broke since it last worked, render the last good version."""
        try:
            template = self.environment.get_template(template_name)
            text = template.render(**context)
        except TemplateNotFound:
            raise TemplateProblem(f"template {template_name} not found") from None
        except Exception as error:  # TemplateError, or a template's own TypeError, ZeroDivision...
            problem = template_problem_text(error, self.origin(template_name))
            good = self._last_good.get(template_name)
            if good is None:
                raise TemplateProblem(problem) from None
            logger.warning("template problem, serving the last good version: %s", problem)
            return good.render(**context)
        self._last_good[template_name] = template
        return text

    def check(self, template_name: str, /, **context: Any) -> str | None:
        """None when the template compiles and renders with `context`, else the problem."""
        try:
            self.environment.get_template(template_name).render(**context)
        except TemplateNotFound:
            return f"template {template_name} not found"
        except Exception as error:
            return template_problem_text(error, self.origin(template_name))
        return None


def is_template(name: str) -> bool:
    """Template files end in .j2 (a folder may hold a README, the package's __init__.py...)."""
    return name.endswith(TEMPLATE_EXTENSION) and "__pycache__" not in name


def template_problem_text(error: Exception, path: Path) -> str:
    """`file:line: message` for a syntax error, an undefined name or a sandbox refusal."""
    if isinstance(error, TemplateSyntaxError):
        return f"{error.filename or path}:{error.lineno}: {error.message}"
    line = _template_line(error, path)
    where = f"{path}:{line}" if line else str(path)
    return f"{where}: {type(error).__name__}: {error}"


def _template_line(error: Exception, path: Path) -> int | None:
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename and Path(frame.filename).name == path.name:
            return frame.lineno
    return None
