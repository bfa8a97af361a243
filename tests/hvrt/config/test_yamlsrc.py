"""Located YAML: every value keeps file:line:column, key path and the text as written."""
from __future__ import annotations

import pytest

from hvrt.config.yamlsrc import LList, LMap, parse_yaml
from hvrt.errors import ConfigError


def test_locations_paths_and_raw_text() -> None:
    tree = parse_yaml("a:\n  b: [1, 2.50, x]\n  c: {d: 2024.10}\n", "f.yaml")
    assert isinstance(tree, LMap) and isinstance(tree["a"], LMap) and isinstance(tree["a"]["b"], LList)
    b = tree["a"]["b"]
    assert b == [1, 2.5, "x"]
    assert [(m.path, m.source.line, m.source.column, m.raw) for m in b.meta] == [
        ("a.b[0]", 2, 7, "1"), ("a.b[1]", 2, 10, "2.50"), ("a.b[2]", 2, 16, "x")]
    d = tree["a"]["c"].meta_of("d")
    assert (d.path, str(d.source), str(d.key_source), d.raw) == ("a.c.d", "f.yaml:3:10", "f.yaml:3:7", "2024.10")


def test_duplicate_key_is_an_error() -> None:
    with pytest.raises(ConfigError) as err:
        parse_yaml("x: 1\ny: 2\nx: 3\n", "f.yaml")
    assert str(err.value) == "f.yaml:3:1: x: duplicate key (first written at line 1)"


def test_merge_keys_own_values_win() -> None:
    tree = parse_yaml("base: &b {p: 1, q: 2}\nother:\n  <<: *b\n  q: 3\n", "f.yaml")
    assert tree["other"] == {"q": 3, "p": 1}
    assert tree["other"].meta_of("p").source.line == 1


def test_syntax_error_has_the_mark() -> None:
    with pytest.raises(ConfigError) as err:
        parse_yaml("a: [1, 2\nb: 3\n", "f.yaml")
    assert str(err.value).startswith("f.yaml:2:2: YAML syntax error: ")


def test_non_scalar_key_and_empty_document() -> None:
    with pytest.raises(ConfigError, match="a key must be a plain value"):
        parse_yaml("? [a, b]\n: 1\n", "f.yaml")
    assert parse_yaml("# only a comment\n", "f.yaml") is None
