"""Read YAML so that every value remembers where it was written.

The loader composes PyYAML's node graph (not plain objects) and turns it into
:class:`LMap` / :class:`LList`: ordinary ``dict`` / ``list`` objects that also carry,
for each key or item, its key path in the document (``profiles.base.image``), its
:class:`~hvrt.config.model.Source` (file:line:column, 1-based) and the scalar's text
as written. Validation errors later point at the exact spot, even after ``extends:``
and ``matrix:`` moved values between profiles.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hvrt.config.model import Source
from hvrt.errors import ConfigError

MERGE_TAG = "tag:yaml.org,2002:merge"


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
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
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
    """Read and parse one YAML file; a missing or unreadable file is a :class:`ConfigError`."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", file=file) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", file=file) from None
    return parse_yaml(text, file)


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, file: str) -> None:
        self.loader = loader
        self.file = file

    def error(self, node: yaml.Node, path: str, message: str) -> ConfigError:
        src = source_of(node.start_mark, self.file)
        return ConfigError(message, file=self.file, line=src.line, column=src.column, key=path or None)

    def build(self, node: yaml.Node, path: str) -> Any:
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            seq = LList(path, source_of(node.start_mark, self.file))
            for index, item in enumerate(node.value):
                item_path = join(path, index)
                seq.add(self.build(item, item_path), self.meta(item, item, item_path))
            return seq
        value = self.loader.construct_object(node, deep=True)
        if not isinstance(value, (str, int, float, bool, type(None))):
            # timestamps, binary: keep the text, the typed readers decide
            return str(node.value)
        return value

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
            key_value = self.loader.construct_object(key_node)
            if key_value is None:
                raise self.error(key_node, path, "empty key")
            key = key_node.value if not isinstance(key_value, str) else key_value
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
