"""Command-line flags generated from a config dataclass, and the merge of flags, ``--config`` and defaults.

Each field of the dataclass becomes one ``--field-name`` flag, typed from its annotation, with
the help written once, in the field's entry of the class docstring's ``Attributes:`` section.
A flag left out is absent from the parsed namespace (``argparse.SUPPRESS``), so
:func:`config_from_args` can tell "not given" from an explicit ``none``: the command line
beats the ``--config`` file, which beats the dataclass default.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import re
import types
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from xrerank.cli.common import CommandError, load_config_file

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

ConfigT = TypeVar("ConfigT", bound="DataclassInstance")

# What a user types for a field whose annotation allows None.
_NONE_WORD = "none"

_KIND_NAMES = {str: "a string", int: "an int", float: "a number"}
# Numbers get short placeholders; a string flag keeps its name (BASE_MODEL, OUTPUT_DIR).
_METAVARS = {int: "N", float: "X"}
# "name: text" or "name (type): text" at the start of an Attributes entry.
_ENTRY = re.compile(r"(\w+)(?:\s*\([^)]*\))?:\s*(.*)")
# :role:`target` and :role:`~package.module.Name` cross-references, shown as the plain name.
_ROLE = re.compile(r":[\w:]+:`(~?)([^`]+)`")


def add_config_flags(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    config_class: type[DataclassInstance],
    *,
    off_switches: Mapping[str, str] | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> None:
    """Add one ``--field-name`` flag per field of ``config_class``.

    Types follow the annotation: ``str``/``int``/``float`` convert the text; ``X | None``
    also accepts ``none``; ``Literal[...]`` lists its values (the dataclass checks them, so
    the message is the same from Python and from the shell); ``bool`` gives ``--x``/``--no-x``;
    ``bool | str`` (like ``resume``) is ``--x`` alone or ``--x VALUE``.

    Args:
        parser: The command's parser or an argument group of it.
        config_class: A dataclass whose docstring documents each field under ``Attributes:``.
        off_switches: ``{bool field: extra flag}`` for a flag that turns the field off, kept
            beside ``--no-field`` because users already type it (e.g. ``--no-progress``).
        defaults: ``{field: value}`` shown as the default where the command's default differs
            from the dataclass's (e.g. ``tune`` trains on windows).

    Example:
        >>> from xrerank.mining import MiningConfig
        >>> parser = argparse.ArgumentParser()
        >>> add_config_flags(parser, MiningConfig)
        >>> vars(parser.parse_args(["--num-negatives", "3", "--absolute-margin", "none"]))
        {'num_negatives': 3, 'absolute_margin': None}
    """
    hints = get_type_hints(config_class)
    docs = field_docs(config_class)
    switches = dict(off_switches or {})
    for field in dataclasses.fields(config_class):
        flag = "--" + field.name.replace("_", "-")
        default = (defaults or {}).get(field.name, _default_of(field))
        text = f"{docs.get(field.name, '')} (default: {_shown(default)})".strip()
        parser.add_argument(
            flag,
            dest=field.name,
            default=argparse.SUPPRESS,
            help=text.replace("%", "%%"),  # argparse %-formats help texts
            **_argument_options(field.name, hints[field.name]),
        )
        switch = switches.pop(field.name, None)
        if switch is not None:
            parser.add_argument(
                switch,
                dest=field.name,
                action="store_false",
                default=argparse.SUPPRESS,
                help=f"Same as --no-{flag[2:]}.",
            )
    if switches:
        raise TypeError(f"off_switches names {sorted(switches)}: not fields of {config_class.__name__}.")


def config_from_args(
    config_class: type[ConfigT],
    args: argparse.Namespace,
    *,
    command_defaults: Mapping[str, Any] | None = None,
) -> tuple[ConfigT, dict[str, Any]]:
    """The config and the command's own options: command line, then ``--config``, then defaults.

    ``args.config`` names the ``--config`` file (or is None). A key of that file must be a
    field of ``config_class`` or a key of ``command_defaults``; any other key is refused with a
    one-line message naming it and the known ones. Invalid values raise the dataclass's own
    message as a :class:`CommandError`.

    Args:
        config_class: The dataclass whose fields :func:`add_config_flags` turned into flags.
        args: The parsed command line (flags left out are absent from it).
        command_defaults: ``{option: default}`` for options the command handles itself that a
            ``--config`` file may also set (their flags must default to ``argparse.SUPPRESS``).

    Returns:
        The config instance and ``{option: value}`` for every key of ``command_defaults``.

    Example:
        >>> from xrerank.mining import MiningConfig
        >>> args = argparse.Namespace(config=None, seed=7)
        >>> config, options = config_from_args(MiningConfig, args, command_defaults={"teacher": None})
        >>> config.seed, options
        (7, {'teacher': None})
    """
    defaults = dict(command_defaults or {})
    field_names = {field.name for field in dataclasses.fields(config_class)}
    chosen = _chosen(args, field_names | set(defaults))
    try:
        config = config_class(**{k: v for k, v in chosen.items() if k in field_names})
    except (ValueError, TypeError) as exc:
        raise CommandError(str(exc)) from exc
    return config, {name: chosen.get(name, default) for name, default in defaults.items()}


def add_command_option(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    defaults: Mapping[str, Any],
    *flags: str,
    help: str,
    **options: Any,
) -> None:
    """A command's own option that a ``--config`` file may also set; its default comes from ``defaults``.

    The flag is absent from the parsed namespace unless given (so :func:`options_from_args`
    can tell "not given" from a value), and ``--help`` shows ``defaults[dest]``.

    Example:
        >>> parser = argparse.ArgumentParser()
        >>> add_command_option(parser, {"top_k": 20}, "--top-k", type=int, help="Candidates per query.")
        >>> vars(parser.parse_args([])), vars(parser.parse_args(["--top-k", "5"]))
        ({}, {'top_k': 5})
    """
    dest = options.pop("dest", None) or next(f for f in flags if f.startswith("--"))[2:].replace("-", "_")
    shown = f"{help} (default: {_shown(defaults[dest])})"
    parser.add_argument(
        *flags, dest=dest, default=argparse.SUPPRESS, help=shown.replace("%", "%%"), **options
    )


def options_from_args(args: argparse.Namespace, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """``{option: value}`` for a command without a config dataclass: flag, then ``--config``, then default.

    The same rule as :func:`config_from_args`: a ``--config`` key that is not a key of
    ``defaults`` is refused, naming it and the known ones.

    Example:
        >>> options_from_args(argparse.Namespace(config=None, top_k=5), {"top_k": 20, "model": None})
        {'top_k': 5, 'model': None}
    """
    chosen = _chosen(args, set(defaults))
    return {name: chosen.get(name, default) for name, default in defaults.items()}


def _chosen(args: argparse.Namespace, known: set[str]) -> dict[str, Any]:
    """The options given on the command line or in ``--config`` (the command line wins)."""
    from_file = load_config_file(args.config)
    unknown = sorted(set(from_file) - known)
    if unknown:
        raise CommandError(f"--config {args.config}: unknown options {unknown}; known: {sorted(known)}.")
    given = vars(args)
    return {**from_file, **{name: given[name] for name in known if name in given}}


def field_docs(config_class: type) -> dict[str, str]:
    """``{field: text}`` from the ``Attributes:`` sections of the class and its bases (the class wins).

    Cross-reference markup is reduced to the names it shows, so the text reads well in ``--help``.

    Example:
        >>> from xrerank.mining import MiningConfig
        >>> field_docs(MiningConfig)["num_negatives"]
        'Negatives per query.'
    """
    docs: dict[str, str] = {}
    for cls in reversed(config_class.__mro__):
        docs.update(_attributes_section(cls.__dict__.get("__doc__") or ""))
    return docs


def _attributes_section(docstring: str) -> dict[str, str]:
    lines = inspect.cleandoc(docstring).splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "Attributes:"), None)
    if start is None:
        return {}
    section_indent = _indent(lines[start])
    entry_indent: int | None = None
    entries: dict[str, list[str]] = {}
    current: list[str] = []
    for line in lines[start + 1 :]:
        if not line.strip():
            continue
        indent = _indent(line)
        if indent <= section_indent:
            break  # the next section (e.g. "Example:")
        if entry_indent is None:
            entry_indent = indent
        match = _ENTRY.fullmatch(line.strip()) if indent == entry_indent else None
        if match:
            current = entries.setdefault(match[1], [])
            current.append(match[2])
        else:
            current.append(line.strip())
    return {name: _plain(" ".join(parts)) for name, parts in entries.items()}


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _plain(text: str) -> str:
    text = _ROLE.sub(lambda m: m[2].rsplit(".", 1)[-1] if m[1] else m[2], text)
    return text.replace("``", "")


def _default_of(field: dataclasses.Field[Any]) -> Any:
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return None if field.default is dataclasses.MISSING else field.default


def _shown(value: Any) -> str:
    return _NONE_WORD if value is None else str(value)


def _argument_options(name: str, annotation: Any) -> dict[str, Any]:
    """``add_argument`` options (type, action, nargs, metavar) for a field's annotation."""
    is_union = get_origin(annotation) in (Union, types.UnionType)
    members = list(get_args(annotation)) if is_union else [annotation]
    optional = type(None) in members
    members = [m for m in members if m is not type(None)]
    if members == [bool] and not optional:
        return {"action": argparse.BooleanOptionalAction}
    if set(members) == {bool, str} and not optional:
        return {"nargs": "?", "const": True, "metavar": "VALUE"}
    if len(members) == 1 and get_origin(members[0]) is Literal:
        values = get_args(members[0])
        kind = type(values[0])
        words = [str(v) for v in values] + ([_NONE_WORD] if optional else [])
        return {"type": _converter(kind, optional=optional), "metavar": "{" + ",".join(words) + "}"}
    if len(members) == 1 and members[0] in _KIND_NAMES:
        kind = members[0]
        metavar = _METAVARS.get(kind)
        return {"type": _converter(kind, optional=optional), **({"metavar": metavar} if metavar else {})}
    raise TypeError(f"field {name!r}: no command-line form for the annotation {annotation!r}.")


def _converter(kind: type, *, optional: bool) -> Callable[[str], Any]:
    expected = _KIND_NAMES[kind] + (f" or '{_NONE_WORD}'" if optional else "")

    def convert(text: str) -> Any:
        if optional and text.lower() == _NONE_WORD:
            return None
        try:
            return kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None

    return convert
