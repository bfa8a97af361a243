"""Located YAML: every value keeps file:line:column, key path and the text as written."""
from __future__ import annotations

import time

import pytest

from hvrt.config.yamlsrc import MAX_BYTES, MAX_DEPTH, LList, LMap, load_yaml_file, parse_yaml
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


# ----------------------------------------------------------- untrusted input is bounded


def test_an_alias_bomb_is_refused_quickly() -> None:
    levels = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 12):
        prev, name = chr(96 + i), chr(97 + i)
        levels.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    started = time.monotonic()
    with pytest.raises(ConfigError, match="expands to more than 100000 values") as err:
        parse_yaml("\n".join(levels) + "\n", "bomb.yaml")
    assert time.monotonic() - started < 1.0
    assert err.value.file == "bomb.yaml" and err.value.line is not None


def test_a_self_referring_alias_is_an_error() -> None:
    with pytest.raises(ConfigError, match="an alias refers to the value that contains it"):
        parse_yaml("a: &a [1, *a]\n", "f.yaml")


@pytest.mark.parametrize("text", ["x: " + "[" * 20_000 + "]" * 20_000 + "\n",
                                  "".join(" " * i + "k:\n" for i in range(0, 400, 2)) + " " * 400 + "k: 1\n"])
def test_deep_nesting_is_an_error_not_a_recursion_error(text: str) -> None:
    with pytest.raises(ConfigError, match="nested deeper than 64 levels") as err:
        parse_yaml(text, "deep.yaml")
    assert err.value.file == "deep.yaml" and err.value.line is not None


def test_nesting_up_to_the_limit_loads() -> None:
    tree = parse_yaml("x: " + "[" * (MAX_DEPTH - 1) + "1" + "]" * (MAX_DEPTH - 1) + "\n", "f.yaml")
    assert isinstance(tree, LMap)


def test_oversized_file_is_refused(tmp_path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * MAX_BYTES + b"\n")
    with pytest.raises(ConfigError, match="larger than 4 MiB") as err:
        load_yaml_file(big)
    assert err.value.file == str(big)


@pytest.mark.parametrize(("text", "message"), [
    ("x: 2024-13-45\n", "1:4: x: cannot read the value '2024-13-45': month must be in 1..12"),
    ("x: " + "9" * 5000 + "\n", "x: cannot read the value '99999999999999999999999999999999999"),
    ('x: "a\\0b"\n', "1:4: x: a NUL character is not allowed in a value"),
    ('"a\\nb": 1\n', "1:1: a key must be one line of text (no CR, LF, NUL or other control character)"),
    ("x: !custom 1\n", "1:4: YAML syntax error: could not determine a constructor for the tag '!custom'"),
    ("x: !!binary zz\n", "1:4: YAML syntax error: failed to decode base64 data"),
    ("x: !!python/object:os.system {}\n", "1:4: x: the YAML tag 'tag:yaml.org,2002:python/object:os.system' "
     "is not supported"),
    ("x: !!set {a, b}\n", "1:4: x: the YAML tag 'tag:yaml.org,2002:set' is not supported"),
])
def test_values_yaml_cannot_build_are_located_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_yaml(text, "f.yaml")
    assert message in str(err.value)
    assert "set_int_max_str_digits" not in str(err.value)  # no Python-internal advice


def test_a_file_that_is_not_utf8_is_a_config_error(tmp_path) -> None:
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("a: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_yaml_file(bad)
