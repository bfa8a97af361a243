"""Error text out of the CLIXML a console-less PowerShell writes on stderr."""
from __future__ import annotations

from hvrt_winrm.clixml import error_text, first_error_line

STREAM = (
    '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
    '<S S="Error">ConvertFrom-Json : The term \'ConvertFrom-Json\' is not recognized as the name of a '
    'cmdlet, function, _x000D__x000A_</S><S S="Error">script file, or operable program.&lt;x&gt;_x000D__x000A_</S>'
    '<S S="Error">At line:1 char:5_x000D__x000A_</S><S S="Output">not an error</S></Objs>'
)


def test_the_error_strings_are_joined_and_unescaped() -> None:
    text = error_text(STREAM)
    assert text.splitlines()[0] == ("ConvertFrom-Json : The term 'ConvertFrom-Json' is not recognized as the "
                                    "name of a cmdlet, function, ")
    assert "script file, or operable program.<x>\r\n" in text
    assert "not an error" not in text


def test_the_first_line_names_the_missing_command() -> None:
    assert first_error_line(STREAM).startswith("ConvertFrom-Json : The term 'ConvertFrom-Json'")


def test_plain_text_and_empty_streams() -> None:
    assert first_error_line("\r\n  boom\r\nmore") == "boom"
    assert first_error_line("") == ""
    assert first_error_line("#< CLIXML\r\n<Objs></Objs>") == ""
