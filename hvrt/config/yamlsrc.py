"""Read YAML so that every value remembers where it was written.

The loader composes PyYAML's node graph (not plain objects) and turns it into
:class:`LMap` / :class:`LList`: ordinary ``dict`` / ``list`` objects that also carry,
for each key or item, its key path in the document (``profiles.base.image``), its
:class:`~hvrt.config.model.Source` (file:line:column, 1-based) and the scalar's text
as written. Validation errors later point at the exact spot, even after ``extends:``
and ``matrix:`` moved values between profiles.

The file is untrusted input, so reading it is bounded: files over :data:`MAX_BYTES`
are refused, nesting deeper than :data:`MAX_DEPTH` is an error (never a
``RecursionError``), and a document whose aliases would expand to more than
:data:`MAX_VALUES` values (an "alias bomb"), or refer to themselves, is refused
before anything is expanded. Values YAML cannot build (a 5,000-digit integer, the
date ``2024-13-45``, an unknown ``!tag``) and NUL characters are located errors.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hvrt.config.model import Source
from hvrt.config.values import one_line
from hvrt.errors import ConfigError

MERGE_TAG = "tag:yaml.org,2002:merge"
PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:omap")
MAX_BYTES = 4 * 1024 * 1024
"""The largest config file read (a real one is a few kilobytes)."""
MAX_DEPTH = 64
"""The deepest nesting of mappings and lists (a profile's ``ini:`` needs 7 levels)."""
MAX_VALUES = 100_000
"""The most values a document may hold once every alias is expanded."""


@dataclass(frozen=True)
class Meta:
    """Where one entry of a mapping or sequence came from."""

    path: str
    source: Source
    key_source: Source
    raw: str | None = None
    """The scalar exactly as written (``2024.10`` stays ``2024.10``), else ``None``."""


class LMap(dict):  # type: ignore[type-arg]
    """A mapping with a :class:`Meta` per key, the key path and source of the mapping."""

    def __init__(self, path: str = "", source: Source | None = None) -> None:
        super().__init__()
        self.path = path
        self.source = source or Source("<config>", 0, 0)
        self.meta: dict[str, Meta] = {}

    def put(self, key: str, value: Any, meta: Meta) -> None:
        self[key] = value
        self.meta[key] = meta

    def meta_of(self, key: str) -> Meta:
        found = self.meta.get(key)
        if found is not None:
            return found
        return Meta(join(self.path, key), self.source, self.source)


class LList(list):  # type: ignore[type-arg]
    """A sequence with a :class:`Meta` per item."""

    def __init__(self, path: str = "", source: Source | None = None) -> None:
        super().__init__()
        self.path = path
        self.source = source or Source("<config>", 0, 0)
        self.meta: list[Meta] = []

    def add(self, value: Any, meta: Meta) -> None:
        self.append(value)
        self.meta.append(meta)


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def from_plain(value: Any, path: str, source: Source) -> Any:
    """A plain Python tree (e.g. a profile a plugin returned) as a located tree at ``source``."""
    if isinstance(value, dict):
        m = LMap(path, source)
        for key, item in value.items():
            key_path = join(path, str(key))
            m.put(str(key), from_plain(item, key_path, source), Meta(key_path, source, source))
        return m
    if isinstance(value, (list, tuple)):
        seq = LList(path, source)
        for index, item in enumerate(value):
            seq.add(from_plain(item, join(path, index), source), Meta(join(path, index), source, source))
        return seq
    return value


def source_of(mark: yaml.Mark | None, file: str) -> Source:
    if mark is None:
        return Source(file, 0, 0)
    return Source(file, mark.line + 1, mark.column + 1)


def parse_yaml(text: str, file: str) -> Any:
    """Compose ``text`` and build the located tree; YAML errors become :class:`ConfigError`."""
    loader = _BoundedLoader(text, file)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, file)
        return _Builder(loader, file).build(node, "")
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        src = source_of(mark, file)
        problem = exc.problem or exc.context or "invalid YAML"
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        raise ConfigError(f"YAML syntax error: {problem}{context}", file=file,
                          line=src.line, column=src.column) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {exc}", file=file) from None
    finally:
        loader.dispose()


def load_yaml_file(path: str | Path) -> Any:
    """Read and parse one YAML file; a missing, unreadable or oversized file is a :class:`ConfigError`."""
    file = str(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError("file not found", file=file) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", file=file) from None
    if len(data) > MAX_BYTES:
        raise ConfigError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB; "
                          "a configuration is a few kilobytes", file=file)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot read: not UTF-8 text (byte {exc.start + 1})", file=file) from None
    return parse_yaml(text, file)


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with the nesting depth bounded while composing."""

    def __init__(self, stream: str, file: str) -> None:
        super().__init__(stream)
        self._file = file
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        nested = isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent))
        if not nested:
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                src = source_of(event.start_mark, self._file)
                raise ConfigError(f"mappings and lists are nested deeper than {MAX_DEPTH} levels",
                                  file=self._file, line=src.line, column=src.column)
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self._depth -= 1


def _check_expansion(root: yaml.Node, file: str) -> None:
    """Refuse a node graph that refers to itself or expands to more than :data:`MAX_VALUES` values.

    Sizes are counted once per distinct node (an alias reuses its anchor's node), so
    an alias bomb is measured in microseconds without expanding it.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            children = _children(node)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > MAX_VALUES:
                src = source_of(node.start_mark, file)
                raise ConfigError(f"the document expands to more than {MAX_VALUES} values "
                                  "(aliases repeat an anchored value; is this an alias bomb?)",
                                  file=file, line=src.line, column=src.column)
            continue
        if key in sizes:
            continue
        if key in active:
            src = source_of(node.start_mark, file)
            raise ConfigError("an alias refers to the value that contains it", file=file,
                              line=src.line, column=src.column)
        active.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, file: str) -> None:
        self.loader = loader
        self.file = file

    def error(self, node: yaml.Node, path: str, message: str) -> ConfigError:
        src = source_of(node.start_mark, self.file)
        return ConfigError(message, file=self.file, line=src.line, column=src.column, key=path or None)

    def build(self, node: yaml.Node, path: str) -> Any:
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in PLAIN_TAGS:
            raise self.error(node, path, f"the YAML tag {node.tag!r} is not supported; write plain values")
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            seq = LList(path, source_of(node.start_mark, self.file))
            for index, item in enumerate(node.value):
                item_path = join(path, index)
                seq.add(self.build(item, item_path), self.meta(item, item, item_path))
            return seq
        value = self.scalar(node, path)
        if not isinstance(value, (str, int, float, bool, type(None))):
            # timestamps, binary: keep the text, the typed readers decide
            value = str(node.value)
        if isinstance(value, str) and "\x00" in value:
            raise self.error(node, path, "a NUL character is not allowed in a value")
        return value

    def scalar(self, node: yaml.Node, path: str) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError:
            raise
        except (ValueError, OverflowError, TypeError) as exc:
            reason = str(exc).split(";")[0]
            raise self.error(node, path, f"cannot read the value {_short(node)}: {reason}") from None

    def meta(self, key_node: yaml.Node, value_node: yaml.Node, path: str) -> Meta:
        raw = value_node.value if isinstance(value_node, yaml.ScalarNode) else None
        return Meta(path, source_of(value_node.start_mark, self.file),
                    source_of(key_node.start_mark, self.file), raw)

    def mapping(self, node: yaml.MappingNode, path: str) -> LMap:
        result = LMap(path, source_of(node.start_mark, self.file))
        merged: list[yaml.MappingNode] = []
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                merged.extend(self.merge_sources(value_node, path))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.error(key_node, path, "a key must be a plain value, not a mapping or list")
            key_value = self.scalar(key_node, path)
            if key_value is None:
                raise self.error(key_node, path, "empty key")
            key = key_node.value if not isinstance(key_value, str) else key_value
            if one_line(key) is not None:
                raise self.error(key_node, path, "a key must be one line of text (no CR, LF, NUL or other "
                                 "control character)")
            if isinstance(key_value, bool):
                key = str(key_value).lower()
            key_path = join(path, key)
            if key in result:
                first = result.meta[key].key_source
                raise self.error(key_node, key_path, f"duplicate key (first written at line {first.line})")
            result.put(key, self.build(value_node, key_path), self.meta(key_node, value_node, key_path))
        for source in merged:  # ``<<: *base``: keys written here win over merged ones
            for key, value in self.mapping(source, path).items():
                if key not in result:
                    result.put(key, value, self.mapping_meta(source, key, path))
        return result

    def mapping_meta(self, node: yaml.MappingNode, key: str, path: str) -> Meta:
        for key_node, value_node in node.value:
            if key_node.value == key:
                return self.meta(key_node, value_node, join(path, key))
        return Meta(join(path, key), source_of(node.start_mark, self.file),
                    source_of(node.start_mark, self.file))

    def merge_sources(self, node: yaml.Node, path: str) -> list[yaml.MappingNode]:
        if isinstance(node, yaml.MappingNode):
            return [node]
        if isinstance(node, yaml.SequenceNode) and all(isinstance(n, yaml.MappingNode) for n in node.value):
            return list(node.value)
        raise self.error(node, path, "'<<' merges a mapping or a list of mappings")


def _short(node: yaml.Node) -> str:
    text = str(node.value)
    return repr(text if len(text) <= 40 else text[:37] + "...")
