"""What the simulated node runs: its programs, a small PowerShell, and hvrt's host loop.

The node does not run PowerShell. It understands exactly what hvrt sends:

* ``powershell.exe ... -EncodedCommand <base64 UTF-16LE>``: the script is decoded;
  a script holding the ``# hvrt:host-loop`` marker becomes the long-lived request
  loop (one base64 JSON request per stdin line, one ``#HVRT# <base64 JSON>`` answer
  line on stdout); any other script is run statement by statement with a handful of
  cmdlets (``Import-Module``, ``Invoke-HvrtRequest``, ``Write-Output``, ``Write-Error``,
  ``Start-Sleep``, ``exit``).
* hvrt module functions, by name, with their JSON parameter block, dispatched to the
  Python implementations in :mod:`fn_files` and :mod:`fn_hyperv` - only the functions
  the uploaded module text actually defines can be called.
* a few executables (``hostname``, ``whoami``, ``systeminfo``, ``cmd /c``, and
  ``echoargs`` which prints its argument vector as JSON, to check quoting).

Anything else fails the way Windows does: "The term 'X' is not recognized ..." as a
CLIXML error record on stderr and a non-zero exit.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
import time
from typing import TYPE_CHECKING, Any, Protocol

from hvrt.sandbox.wsman import fn_files, fn_hyperv, oscheck
from hvrt.sandbox.wsman.cmdline import program_name, split_argv
from hvrt.sandbox.wsman.fn_files import FunctionError
from hvrt.sandbox.wsman.host import HostModel
from hvrt.sandbox.wsman.shell import Process

if TYPE_CHECKING:
    from hvrt.sandbox.wsman.faults import Faults

HOST_LOOP_MARKER = "# hvrt:host-loop"
RESPONSE_PREFIX = "#HVRT# "
MODULE_PATH = "C:\\ProgramData\\hvrt\\HvrtHyperV.psm1"
_FUNCTION_DEF = re.compile(r"(?im)^\s*function\s+([A-Za-z]+-Hvrt[A-Za-z0-9]+)\b")
_IMPLEMENTED: dict[str, Any] = {**fn_hyperv.FUNCTIONS}


class Node(Protocol):
    model: HostModel
    user: str
    faults: Faults

    def request_reboot(self, delay: float) -> None: ...

    def wait_service(self, proc: Process, name: str, timeout: float) -> str: ...


def not_recognized(term: str) -> str:
    return (f"{term} : The term '{term}' is not recognized as the name of a cmdlet, function, script file, "
            "or operable program. Check the spelling of the name, or if a path was included, verify that "
            "the path is correct and try again.\r\nAt line:1 char:1\r\n+ " + term + "\r\n+ " + "~" * len(term)
            + f"\r\n    + CategoryInfo          : ObjectNotFound: ({term}:String) [], CommandNotFoundException"
            "\r\n    + FullyQualifiedErrorId : CommandNotFoundException\r\n")


def not_recognized_record(message: str) -> str:
    """An error record's text for a refusal message of :mod:`oscheck`."""
    quoted = re.match(r"The term '([^']+)'", message)
    if quoted:
        return not_recognized(quoted.group(1))
    return message + "\r\n    + CategoryInfo          : InvalidArgument: (:) [], ParameterBindingException\r\n"


def clixml_error(text: str) -> bytes:
    def enc(s: str) -> str:
        s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return s.replace("\r", "_x000D_").replace("\n", "_x000A_")

    lines = text.splitlines(keepends=True)
    body = "".join(f'<S S="Error">{enc(line)}</S>' for line in lines)
    return ('#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
            + body + "</Objs>").encode("utf-8")


class ModuleState:
    """Functions the current PowerShell process has loaded from hvrt's module, and what
    the node's OS refuses of them (:mod:`oscheck`; no target given: nothing is refused)."""

    def __init__(self) -> None:
        self.functions: set[str] = set()
        self.gate: oscheck.Gate | None = None

    def load_text(self, text: str, target: str | None = None) -> None:
        gate = oscheck.gate(text, target) if target else None
        if gate is not None and gate.top_level is not None:
            raise FunctionError(f"Import-Module : {gate.top_level.message}", gate.top_level.category)
        self.functions = set(_FUNCTION_DEF.findall(text))
        self.gate = gate


def call_function(node: Node, module: ModuleState, proc: Process, name: str, params: dict[str, Any]) -> Any:
    """Run module function ``name``; every call the module defines lands in ``calls.jsonl``."""
    if name not in module.functions:
        raise FunctionError(not_recognized(name).split("\r\n")[0], "ObjectNotFound")
    start, ok = time.time(), False
    try:
        refusal = module.gate.refusal(name) if module.gate is not None else None
        if refusal is not None:  # PowerShell fails on the first thing the OS lacks
            raise FunctionError(refusal.message, refusal.category)
        value = _dispatch(node, proc, name, params)
        ok = True
        return value
    finally:
        node.model.record_call(name, start, time.time(), ok)


def _dispatch(node: Node, proc: Process, name: str, params: dict[str, Any]) -> Any:
    if name in fn_files.FUNCTIONS:
        return fn_files.FUNCTIONS[name](node.model, params)
    if name == "Wait-HvrtService":
        return {"status": node.wait_service(proc, str(params.get("name")), float(params.get("timeout", 60)))}
    if name == "Invoke-HvrtProcess":
        code, out, err = run_program(node, proc, str(params.get("file", "")), str(params.get("arguments", "")),
                                     via_cmd=False)
        return {"exit_code": code, "stdout": out, "stderr": err}
    if name in _IMPLEMENTED:
        return _IMPLEMENTED[name](node, params)
    raise FunctionError(f"{name} is not implemented by the simulated node", "NotImplemented")


def _case_unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as Windows PowerShell 5.1's ConvertFrom-Json builds it: keys that
    differ only in case are refused (its objects' property names ignore case)."""
    seen: dict[str, str] = {}
    for key, _ in pairs:
        other = seen.setdefault(key.lower(), key)
        if other != key:
            raise ValueError(f"Cannot convert the JSON string because a dictionary that was converted from "
                             f"the string contains the duplicated keys '{other}' and '{key}'.")
    return dict(pairs)


def handle_request(node: Node, module: ModuleState, proc: Process, line: bytes) -> str:
    """One request line of the host loop -> one response line."""
    request_id = None
    try:
        request = json.loads(base64.b64decode(line, validate=True), object_pairs_hook=_case_unique)
        request_id = request.get("id")
        name, params = str(request["fn"]), request.get("params") or {}
        if name == "__module":
            value = _load_module(node, module, params)
        else:
            value = node.faults.answer(node.model, name, params, call_function(node, module, proc, name, params))
        response = {"id": request_id, "ok": True, "value": value}
    except FunctionError as exc:
        response = {"id": request_id, "ok": False, "error": {"message": str(exc), "category": exc.category}}
    except (ValueError, KeyError, binascii.Error) as exc:
        response = {"id": request_id, "ok": False,
                    "error": {"message": f"malformed request: {exc}", "category": "InvalidData"}}
    return RESPONSE_PREFIX + base64.b64encode(json.dumps(response).encode()).decode("ascii")


def _load_module(node: Node, module: ModuleState, params: dict[str, Any]) -> dict[str, Any]:
    path = node.model.path(MODULE_PATH)
    if params.get("content") is not None:
        data = base64.b64decode(params["content"])
        import hashlib

        if hashlib.sha256(data).hexdigest().upper() != str(params.get("sha256", "")).upper():
            raise FunctionError("module checksum mismatch", "InvalidData")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    if not path.exists() or fn_files.sha256_file(path) != str(params.get("sha256", "")).upper():
        return {"loaded": False}
    module.load_text(path.read_text(encoding="utf-8-sig"), node.model.compat_target())
    return {"loaded": True, "functions": sorted(module.functions)}


def host_loop(node: Node, proc: Process, script: str = "") -> int:
    """Serve requests; a loop script the node's OS cannot run dies at its first request."""
    module = ModuleState()
    loop_gate = oscheck.gate(script, node.model.compat_target()) if script else None
    broken = loop_gate and (loop_gate.top_level or next((r for r in loop_gate.functions.values() if r), None))
    while True:
        line = proc.read_line()
        if line is None:
            return 0
        if not line.strip():
            continue
        if broken:
            proc.write("stderr", clixml_error(not_recognized_record(broken.message)))
            return 1
        armed, nbytes = node.faults.take_flood()
        if armed:
            _flood(proc, nbytes)
        proc.write("stdout", (handle_request(node, module, proc, line.strip()) + "\r\n").encode("ascii"))


def _flood(proc: Process, nbytes: int | None) -> None:
    """Output without a line end (``None``: until stopped), never more than 1 MiB pending."""
    block = b"A" * 65536
    sent = 0
    while nbytes is None or sent < nbytes:
        proc.wait_pending_below(1 << 20)
        piece = block if nbytes is None else block[:nbytes - sent]
        proc.write("stdout", piece)
        sent += len(piece)


# ------------------------------------------------------------------ one-shot scripts
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|\(\s*'(?:[^']|'')*'\s*\*\s*\d+\s*\)|[^\s;]+|;")


def _unquote(token: str) -> str:
    if token.startswith("'") and token.endswith("'"):
        return token[1:-1].replace("''", "'")
    if token.startswith('"') and token.endswith('"'):
        return token[1:-1]
    repeat = re.fullmatch(r"\(\s*'((?:[^']|'')*)'\s*\*\s*(\d+)\s*\)", token)
    if repeat:
        return repeat.group(1).replace("''", "'") * min(int(repeat.group(2)), 50_000_000)
    return token


def run_script(node: Node, proc: Process, script: str) -> int:
    if HOST_LOOP_MARKER in script:
        return host_loop(node, proc, script)
    module = ModuleState()
    failed = stop = False
    for raw_line in script.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        statements: list[list[str]] = [[]]
        for tok in _TOKEN.findall(line):
            if tok == ";":
                statements.append([])
            else:
                statements[-1].append(tok)
        for words in filter(None, statements):
            head = words[0].lower()
            args = [_unquote(w) for w in words[1:]]
            if head.startswith("$"):
                if head == "$erroractionpreference" and args[-1:] and args[-1].lower() == "stop":
                    stop = True
                continue
            if head == "exit":
                return int(args[0]) if args else (1 if failed else 0)
            try:
                _statement(node, proc, module, words[0], args)
            except FunctionError as exc:
                failed = True
                proc.write("stderr", clixml_error(str(exc) if "\r\n" in str(exc) else str(exc) + "\r\n"))
                if stop:
                    return 1
    return 1 if failed else 0


def _statement(node: Node, proc: Process, module: ModuleState, command: str, args: list[str]) -> None:
    name = command.lower()
    if name == "import-module":
        names = [a for a in args if not a.startswith("-")]
        path = node.model.path(names[0]) if names else None
        if path is None or not path.is_file():
            raise FunctionError(f"Import-Module : The specified module '{names[0] if names else ''}' was not loaded "
                                "because no valid module file was found in any module directory.\r\n")
        module.load_text(path.read_text(encoding="utf-8-sig"), node.model.compat_target())
    elif name == "invoke-hvrtrequest":
        if "Invoke-HvrtRequest" not in module.functions:
            raise FunctionError(not_recognized(command))
        request = args[args.index("-Request") + 1] if "-Request" in args else args[0]
        proc.write("stdout", (handle_request(node, module, proc, request.encode()) + "\r\n").encode("ascii"))
    elif name in ("write-output", "echo", "write-host"):
        proc.write("stdout", (" ".join(args) + "\r\n").encode("utf-8"))
    elif name == "write-error":
        raise FunctionError(f"{' '.join(args)}\r\n    + CategoryInfo          : NotSpecified: (:) [Write-Error], "
                            "WriteErrorException\r\n")
    elif name == "start-sleep":
        seconds = [a for a in args if not a.startswith("-")]
        proc.sleep(float(seconds[0]) if seconds else 1.0)
    elif name in ("hostname", "whoami", "systeminfo"):
        code, out, err = run_program(node, proc, name, "", via_cmd=False)
        proc.write("stdout", out.encode())
    else:
        raise FunctionError(not_recognized(command), "ObjectNotFound")


# --------------------------------------------------------------------- programs
def decode_encoded_command(value: str) -> str:
    return base64.b64decode(value).decode("utf-16-le")


def run_program(node: Node, proc: Process, file: str, arguments: str, *, via_cmd: bool) -> tuple[int, str, str]:
    """Run a simulated executable; returns (exit code, stdout, stderr) for short programs."""
    argv = split_argv(arguments)
    base = program_name(file)
    state = node.model.state()
    if base == "hostname":
        return 0, state["computer_name"] + "\r\n", ""
    if base == "whoami":
        return 0, f"{state['computer_name'].lower()}\\{node.user}\r\n", ""
    if base == "systeminfo":
        return 0, fn_hyperv.system_info(node, {})["text"], ""
    if base == "echoargs":
        return 0, json.dumps(argv) + "\r\n", ""
    if base == "cmd" and argv[:1] and argv[0].lower() == "/c":
        rest = arguments.split(None, 1)[1] if len(arguments.split(None, 1)) > 1 else ""
        parts = rest.strip().split(None, 1)
        if parts and parts[0].lower() == "echo":
            return 0, (parts[1] if len(parts) > 1 else "ECHO is on.") + "\r\n", ""
        if parts and parts[0].lower() == "exit":
            return int(parts[1].replace("/b", "").strip() or 0) if len(parts) > 1 else 0, "", ""
        return run_program(node, proc, parts[0] if parts else "", parts[1] if len(parts) > 1 else "", via_cmd=True)
    if via_cmd:
        return 1, "", (f"'{file}' is not recognized as an internal or external command,\r\n"
                       "operable program or batch file.\r\n")
    raise FunctionError(f"Exception calling \"Start\" with \"0\" argument(s): \"The system cannot find the file "
                        f"specified\" ({file})", "ObjectNotFound")


def powershell_program(node: Node, arguments: list[str]) -> Any:
    """The program ``powershell.exe`` runs with ``arguments``."""
    lowered = [a.lower() for a in arguments]
    for flag in ("-encodedcommand", "-enc", "-e", "-ec"):
        if flag in lowered and lowered.index(flag) + 1 < len(arguments):
            try:
                script = decode_encoded_command(arguments[lowered.index(flag) + 1])
            except (ValueError, binascii.Error):
                script = None
            if script is None:
                return lambda proc: _fail(proc, "Cannot process the command because the value specified with "
                                                "-EncodedCommand is not properly encoded.\r\n")
            return lambda proc: run_script(node, proc, script)
    if "-command" in lowered:
        rest = arguments[lowered.index("-command") + 1:]
        if rest == ["-"]:
            return lambda proc: _stdin_script(node, proc)
        return lambda proc: run_script(node, proc, " ".join(rest))
    return lambda proc: _stdin_script(node, proc)


def _stdin_script(node: Node, proc: Process) -> int:
    code = 0
    while (line := proc.read_line()) is not None:
        code = run_script(node, proc, line.decode("utf-8", "replace"))
    return code


def _fail(proc: Process, message: str) -> int:
    proc.write("stderr", message.encode())
    return 1


def command_program(node: Node, command_line: str) -> Any:
    """The program a WinRS ``Command`` starts (through ``cmd /c`` as Windows does)."""
    argv = split_argv(command_line)
    base = (argv[0] if argv else "").replace("/", "\\").rsplit("\\", 1)[-1].lower().removesuffix(".exe")
    if base == "powershell":
        return powershell_program(node, argv[1:])

    def run(proc: Process) -> int:
        rest = command_line.split(None, 1)[1] if len(command_line.split(None, 1)) > 1 else ""
        code, out, err = run_program(node, proc, argv[0] if argv else "", rest, via_cmd=True)
        proc.write("stdout", out.encode())
        proc.write("stderr", err.encode())
        return code

    return run
