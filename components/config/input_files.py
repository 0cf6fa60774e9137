"""Reading the files users hand us (stack files, KEMU files, render plans) with bounds.

Consumers and why: Pulumi reads a stack file with go-yaml v3, which refuses a mapping key
given twice ("mapping key ... already defined at line N"); PyYAML would silently keep the
last one, so the file we check would not be the file Pulumi deploys. PyYAML also composes
recursively (deep nesting ends in a RecursionError) and shares aliased nodes, which every
walk over the result expands again (a "billion laughs" file is a few hundred bytes). So:
a size cap, an alias count cap, a cap on the values the document expands to, a nesting cap,
UTF-8 text only, and syntax errors reported by line and column without the line itself
(it may hold a secret).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 4 * 1024 * 1024          # stack and KEMU files: a few MB
MAX_PLAN_BYTES = 64 * 1024 * 1024    # a render's plan.json (thousands of resources)
MAX_ALIASES = 2000
MAX_EXPANDED_VALUES = 1_000_000      # values after alias expansion
MAX_DEPTH = 100


class InputFileError(ValueError):
    """A file we cannot read safely; the message names it and says what to do."""


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader refusing duplicate keys, deep nesting and alias bombs."""

    def __init__(self, stream: str, name: str):
        super().__init__(stream)
        self._name = name
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise InputFileError(f"{self._name}: more than {MAX_ALIASES} YAML aliases (line {mark.line + 1}); "
                                     "write the values out or split the file")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise InputFileError(f"{self._name}: nested more than {MAX_DEPTH} levels deep (line {mark.line + 1}); "
                                 "flatten the document")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
                seen.setdefault(key, line)
            except TypeError:  # an unhashable key: the constructor says so below
                continue
            if first is not None:
                raise InputFileError(f"{self._name}: line {line}: mapping key {str(key)!r} already defined "
                                     f"at line {first} (Pulumi refuses the file); keep one of them")
        return super().construct_mapping(node, deep=deep)


def _expanded_size(root) -> int:
    """How many values the document holds once every alias is expanded (shared nodes counted per use)."""
    sizes: dict[int, int] = {}
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        children = ([c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode)
                    else list(node.value) if isinstance(node, yaml.SequenceNode) else [])
        if done or not children:
            sizes[id(node)] = min(1 + sum(sizes.get(id(c), 1) for c in children), MAX_EXPANDED_VALUES + 1)
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def _syntax_message(name: str, err: yaml.YAMLError) -> str:
    """The problem and its position, never the snippet of the line (it may hold a secret)."""
    if isinstance(err, yaml.reader.ReaderError):
        code = err.character if isinstance(err.character, int) else ord(err.character)
        return f"{name}: not valid YAML: {err.reason} (character #x{code:04x} at position {err.position})"
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    problem = getattr(err, "problem", None) or type(err).__name__
    context = getattr(err, "context", None)
    return f"{name}: not valid YAML{where}: {problem}" + (f" ({context})" if context else "")


def load_yaml_text(text: str, name: str) -> Any:
    """One YAML document from text, bounded; raises InputFileError naming `name`."""
    if len(text) > MAX_BYTES:  # characters: at least as many bytes
        raise InputFileError(f"{name}: larger than {MAX_BYTES // (1024 * 1024)} MB; this is not a config file")
    try:
        loader = _BoundedLoader(text, name)  # the reader refuses control characters right here
    except yaml.YAMLError as err:
        raise InputFileError(_syntax_message(name, err)) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_EXPANDED_VALUES:
            raise InputFileError(f"{name}: its YAML aliases expand to more than {MAX_EXPANDED_VALUES:,} values; "
                                 "write the values out instead of nesting aliases")
        return loader.construct_document(node)
    except yaml.YAMLError as err:
        raise InputFileError(_syntax_message(name, err)) from None
    except RecursionError:
        raise InputFileError(f"{name}: nested too deeply to read; flatten the document") from None
    finally:
        loader.dispose()


def read_text_file(path: Path, limit: int | None = None) -> str:
    """A file's text: UTF-8, no NUL bytes, at most `limit` bytes (default MAX_BYTES); InputFileError names it."""
    path, limit = Path(path), MAX_BYTES if limit is None else limit
    size = path.stat().st_size
    if size > limit:
        raise InputFileError(f"{path}: {size:,} bytes, more than the {limit // (1024 * 1024)} MB a file here "
                             "may hold; give the right file")
    data = path.read_bytes()
    if b"\x00" in data:
        raise InputFileError(f"{path}: a binary file (it holds NUL bytes), not YAML or JSON text; give the right file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputFileError(f"{path}: not UTF-8 text (byte {data[err.start]:#04x} at offset {err.start}); "
                             "save it as UTF-8") from None


def read_yaml_file(path: Path, limit: int | None = None) -> Any:
    return load_yaml_text(read_text_file(path, limit), str(path))


def load_json_text(text: str, name: str) -> Any:
    """JSON with duplicate keys refused and deep nesting reported, not raised as RecursionError."""
    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise InputFileError(f"{name}: key {twice[0]!r} given twice in one object; keep one of them")
        return dict(pairs)
    try:
        return json.loads(text, object_pairs_hook=no_duplicates)
    except RecursionError:
        raise InputFileError(f"{name}: nested too deeply to read; flatten the document") from None
    except json.JSONDecodeError as err:
        raise InputFileError(f"{name}: not valid JSON at line {err.lineno}, column {err.colno}: {err.msg}") from None


def read_json_file(path: Path, limit: int | None = None) -> Any:
    return load_json_text(read_text_file(path, MAX_PLAN_BYTES if limit is None else limit), str(path))
