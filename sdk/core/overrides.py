"""`KEY=VALUE` overrides of nested settings dataclasses (`--set lift.orbit.views=4`).

A key is a dotted path of dataclass field names; a value is text converted to the
field's annotated type: bool, int, float, str, a `Literal` of those, `X | None`
("none" sets None), or a `tuple[X, ...]` / `tuple[X, Y]` written comma-separated.
Every override is applied with `dataclasses.replace`, so each dataclass's own
`__post_init__` still checks the result.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from hoiexport.sdk.core.errors import InputError

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_assignments(items: Iterable[str], what: str = "--set") -> dict[str, str]:
    """`["a.b=1", "c=x"]` → `{"a.b": "1", "c": "x"}`.

    Raises:
        InputError: an item without `=` or with an empty key.
    """
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{what} {item!r} must be KEY=VALUE, e.g. {what} lift.orbit.views=4")
        out[key.strip()] = value.strip()
    return out


def _convert(text: str, annotation: Any, key: str) -> Any:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = get_args(annotation)
        if type(None) in args and text.lower() in ("none", "null", ""):
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _convert(text, arg, key)
            except InputError as exc:
                errors.append(str(exc))
        raise InputError(errors[0] if errors else f"{key}: cannot parse {text!r}")
    if origin is Literal:
        choices = get_args(annotation)
        for choice in choices:
            if str(choice) == text:
                return choice
        raise InputError(f"{key} must be one of {', '.join(map(str, choices))}, got {text!r}")
    if origin is tuple:
        args = get_args(annotation)
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(p, args[0], key) for p in parts)
        if len(parts) != len(args):
            raise InputError(f"{key} takes {len(args)} comma-separated values, got {text!r}")
        return tuple(_convert(p, a, key) for p, a in zip(parts, args, strict=True))
    if annotation is bool:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise InputError(f"{key} must be true or false, got {text!r}")
    if annotation in (int, float):
        try:
            return annotation(text)
        except ValueError:
            raise InputError(f"{key} must be a number ({annotation.__name__}), got {text!r}") from None
    if annotation is str:
        return text
    raise InputError(f"{key} cannot be set from text (type {annotation!r})")


def _annotation(cls: type, name: str) -> Any:
    """The resolved annotation of field `name` of dataclass `cls`."""
    try:
        return get_type_hints(cls)[name]
    except NameError:  # an annotation naming a TYPE_CHECKING-only import
        field = next(f for f in dataclasses.fields(cls) if f.name == name)
        return field.type


def apply_overrides(settings: T, overrides: Mapping[str, str]) -> T:
    """A copy of the dataclass `settings` with each dotted key set to its value.

    Args:
        settings: a dataclass instance (frozen or not), nested dataclasses allowed.
        overrides: dotted field path → value text (see the module docstring).

    Returns:
        A new instance; `settings` is unchanged.

    Raises:
        InputError: an unknown key (the known ones listed), a value that does not
            parse as the field's type, or one the dataclass rejects.
    """
    result = settings
    for key, text in overrides.items():
        result = _set(result, key.split("."), text, key)
    return result


def _set(obj: Any, path: list[str], text: str, key: str) -> Any:
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise InputError(f"{key}: {'.'.join(path)} is not a settings group")
    names = [f.name for f in dataclasses.fields(obj) if f.init]
    head = path[0]
    if head not in names:
        raise InputError(f"unknown setting {key!r}: {type(obj).__name__} has {', '.join(names)}")
    current = getattr(obj, head)
    if len(path) > 1:
        value = _set(current, path[1:], text, key)
    else:
        if dataclasses.is_dataclass(current):
            raise InputError(f"{key} is a settings group; set one of its fields, e.g. {key}.<name>=VALUE")
        value = _convert(text, _annotation(type(obj), head), key)
    return dataclasses.replace(obj, **{head: value})
