"""Run a Lambda function's real handler in this process, from the code moto stored.

moto with `lambda.use_docker` left on would start a container per invocation; this
machine has no Docker, and the handlers only need Python. So `moto_patches` routes
`LambdaFunction._invoke_lambda` here: the uploaded zip is extracted once per code hash,
its packages are imported, and the handler is called with the function's environment
(see `env_overlay`) and a Lambda-shaped context object.

Lambda's timeout is enforced as AWS does: the handler runs on a thread of its own, and one
still running when the function's timeout is up is stopped (an exception raised in it at
its next Python instruction) and reported as `Sandbox.Timedout`, so code that outlives its
function fails here as it would in AWS.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import importlib
import importlib.abc
import importlib.machinery
import io
import json
import sys
import tempfile
import threading
import time
import traceback
import types
import uuid
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

from local_cloud import env_overlay

HandlerFunc = Callable[[Any, Any], Any]


class MotoLambdaFunction(Protocol):
    """The attributes of `moto.awslambda.models.LambdaFunction` the runner reads."""

    function_name: str
    function_arn: str
    handler: str | None
    code_bytes: bytes
    code_sha_256: str
    environment_vars: dict[str, str]
    memory_size: int
    timeout: int
    region: str
    version: Any


@dataclass(frozen=True)
class InvocationResult:
    """What moto's `_invoke_lambda` returns: payload, whether it is an error, log text."""

    payload: str
    errored: bool
    logs: str


@dataclass
class LambdaContext:
    """The subset of the Lambda context object Powertools and handlers read."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline: float = field(repr=False)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


class ThreadLocalStream(io.TextIOBase):
    """`sys.stdout` stand-in: an invocation's prints and log lines go to its own buffer
    (they become the function's CloudWatch log events) and to `function_sink` (a log
    file, or stderr), so they never mix with what the command itself prints."""

    def __init__(self, real: TextIO, function_sink: TextIO | None = None) -> None:
        self.real = real
        self.function_sink = function_sink or real
        self._local = threading.local()

    def write(self, text: str) -> int:
        buffer: io.StringIO | None = getattr(self._local, "buffer", None)
        if buffer is None:
            return self.real.write(text)
        buffer.write(text)
        self.function_sink.write(text)
        return len(text)

    def flush(self) -> None:
        self.real.flush()
        self.function_sink.flush()

    @contextmanager
    def capture(self) -> Iterator[io.StringIO]:
        previous = getattr(self._local, "buffer", None)
        buffer = io.StringIO()
        self._local.buffer = buffer
        try:
            yield buffer
        finally:
            self._local.buffer = previous


def code_hash(code: bytes) -> str:
    return hashlib.sha256(code).hexdigest()[:16]


class CodeHashes:
    """Each uploaded zip's hash, computed once. moto keeps one bytes object per upload
    and passes that same object to every invocation, so its identity names the upload;
    hashing the 8 MB package on every call was about 15 % of a warm flow's time."""

    # One entry per function's upload: the stack has a dozen functions, so a smaller cache
    # evicted one function's hash to make room for another's and rehashed on most calls.
    def __init__(self, keep: int = 64) -> None:
        self._keep = keep
        # id -> (the bytes, kept alive so the id cannot be reused, and their hash)
        self._by_identity: OrderedDict[int, tuple[bytes, str]] = OrderedDict()

    def of(self, code: bytes) -> str:
        known = self._by_identity.get(id(code))
        if known is not None and known[0] is code:
            self._by_identity.move_to_end(id(code))
            return known[1]
        digest = code_hash(code)
        self._by_identity[id(code)] = (code, digest)
        if len(self._by_identity) > self._keep:
            self._by_identity.popitem(last=False)  # an upload replaced long ago
        return digest


class _DeployedPackages(importlib.abc.MetaPathFinder):
    """Finds top-level packages in the folders of extracted zips, as Lambda's /var/task does.

    Two instances: one first on `sys.meta_path` for the handlers' own packages (the deployed
    code wins over a source checkout or an editable install), one last for the zips' bundled
    dependencies (compiled ones resolve from the running venv first:
    the zip may hold wheels for Lambda's platform rather than this one).
    """

    def __init__(self) -> None:
        self.folder_of: dict[str, Path] = {}  # top-level package -> folder that holds it
        self.folders: list[Path] = []  # searched in order for any other top-level name

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if path is not None:  # a submodule: its package's __path__ already points home
            return None
        folder = self.folder_of.get(fullname)
        search = [folder] if folder is not None else self.folders
        return importlib.machinery.PathFinder.find_spec(fullname, [str(f) for f in search])


_HANDLER_PACKAGES = _DeployedPackages()
_BUNDLED_DEPENDENCIES = _DeployedPackages()


def _install_finders() -> None:
    if _HANDLER_PACKAGES not in sys.meta_path:
        sys.meta_path.insert(0, _HANDLER_PACKAGES)
    if _BUNDLED_DEPENDENCIES not in sys.meta_path:
        sys.meta_path.append(_BUNDLED_DEPENDENCIES)


class CodeStore:
    """Extracts each distinct code zip once and imports its packages from there.

    The handler's own top-level package (e.g. `jira_workflow`) comes from the zip of the
    function being invoked; the zips' other packages are found only when nothing else has
    them (`_DeployedPackages`).
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or Path(tempfile.mkdtemp(prefix="local-cloud-code-"))
        self._lock = threading.Lock()
        self._hashes = CodeHashes()

    def ensure_importable(self, code: bytes, handler: str) -> None:
        """Extract `code` if new; (re)load the handler's top-level package from it."""
        package = handler.split(".", 1)[0]
        with self._lock:
            _install_finders()
            digest = self._hashes.of(code)
            extracted = self._extract(code, digest)
            if _HANDLER_PACKAGES.folder_of.get(package) == extracted:
                return
            _HANDLER_PACKAGES.folder_of[package] = extracted
            if extracted not in _BUNDLED_DEPENDENCIES.folders:
                _BUNDLED_DEPENDENCIES.folders.append(extracted)
            _forget_modules_outside(package, extracted)
            importlib.invalidate_caches()

    def _extract(self, code: bytes, digest: str) -> Path:
        folder = self.root / digest
        if not (folder / ".complete").exists():
            with zipfile.ZipFile(io.BytesIO(code)) as archive:
                archive.extractall(folder)
            (folder / ".complete").touch()
        return folder


def _forget_modules_outside(package: str, home: Path) -> None:
    """Drop modules of `package` loaded from elsewhere (old code, a source checkout), so
    the next import reads the deployed code; existing references keep working."""
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        origin = getattr(sys.modules[name], "__file__", None) or ""
        if not origin.startswith(f"{home}/"):
            del sys.modules[name]


def resolve_handler(handler: str) -> HandlerFunc:
    """`pkg.module.function` → the function, importing the module on first use."""
    module_name, _, attribute = handler.rpartition(".")
    module = importlib.import_module(module_name)
    func: HandlerFunc = getattr(module, attribute)
    return func


class FunctionTimedOut(BaseException):
    """Raised in a handler's thread when its function's timeout is up. A BaseException,
    so a handler's `except Exception` cannot swallow it: AWS stops the sandbox outright."""


def timed_out_payload(request_id: str, timeout_seconds: float) -> dict[str, Any]:
    """What the Python runtime reports when the function's timeout ends an invocation."""
    return {
        "errorType": "Sandbox.Timedout",
        "errorMessage": (
            f"RequestId: {request_id} Error: Task timed out after {timeout_seconds:.2f} seconds"
        ),
    }


class _StopPoints:
    """Where a timed-out function's thread may be stopped: anywhere but inside an
    `uninterruptible` section, which the stop waits for the end of."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth: dict[int, int] = {}  # thread -> sections it is inside (they may nest)
        self._stop_on_exit: set[int] = set()

    @contextmanager
    def uninterruptible(self) -> Iterator[None]:
        ident = threading.get_ident()
        entered = False
        try:
            with self._lock:
                self._depth[ident] = self._depth.get(ident, 0) + 1
                entered = True
            yield
        finally:
            with self._lock:
                if entered:
                    self._depth[ident] -= 1
                outermost_ended = not self._depth.get(ident)
                stop = outermost_ended and ident in self._stop_on_exit
                if outermost_ended:
                    self._depth.pop(ident, None)
                    self._stop_on_exit.discard(ident)
            if stop:
                raise FunctionTimedOut

    def stop(self, thread: threading.Thread) -> None:
        """Raise FunctionTimedOut in `thread` at its next Python instruction, or when it
        leaves its uninterruptible section (a thread blocked in a socket read stops when
        the read returns: its timeouts still bound it)."""
        if thread.ident is None:
            return
        with self._lock:  # held so the thread cannot enter a section between check and raise
            if self._depth.get(thread.ident):
                self._stop_on_exit.add(thread.ident)
                return
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(thread.ident), ctypes.py_object(FunctionTimedOut)
            )


_STOP_POINTS = _StopPoints()
# An AWS call handed to moto on a function's thread runs to its end, as it would on AWS's
# side of the wire when the caller's sandbox is stopped: never half a write.
uninterruptible = _STOP_POINTS.uninterruptible
stop_thread = _STOP_POINTS.stop


def error_payload(error: BaseException) -> dict[str, Any]:
    """The shape Lambda's Python runtime reports; `errorType` is what ASL `ErrorEquals` matches."""
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "requestId": "",
        "stackTrace": traceback.format_tb(error.__traceback__),
    }


class _Invocation:
    """One invocation's outcome, written by its worker thread and read by the caller."""

    def __init__(self) -> None:
        self.result: InvocationResult | None = None
        self.output: io.StringIO | None = None

    def run(self, call: Callable[[], InvocationResult]) -> None:
        # Stopped at its timeout, the caller has already answered Sandbox.Timedout.
        with contextlib.suppress(FunctionTimedOut):
            self.result = call()

    def logs(self) -> str:
        return self.output.getvalue() if self.output is not None else ""


class InProcessLambdaRunner:
    """Calls handlers for moto's Lambda functions inside this process."""

    def __init__(
        self,
        base_environment: Mapping[str, str],
        code_store: CodeStore | None = None,
        rewrite_value: Callable[[str], str] | None = None,
        function_log: TextIO | None = None,
    ) -> None:
        # The variables every function sees before its own: endpoint, region, fake creds.
        self.base_environment = dict(base_environment)
        self.code_store = code_store or CodeStore()
        self.rewrite_value = rewrite_value or (lambda value: value)
        self.environ = env_overlay.install()
        self.stdout = self._install_stream(function_log or sys.stderr)

    @staticmethod
    def _install_stream(function_log: TextIO) -> ThreadLocalStream:
        # Powertools' Logger binds sys.stdout when the package is first imported, which
        # happens inside an invocation, i.e. after this replacement.
        if not isinstance(sys.stdout, ThreadLocalStream):
            sys.stdout = ThreadLocalStream(sys.stdout, function_log)
        return sys.stdout

    def function_environment(self, function: MotoLambdaFunction) -> dict[str, str]:
        """What the function's process would see: the runtime's variables plus its own."""
        variables = dict(self.environ.process_environ)
        variables.update(self.base_environment)
        variables.update(
            {
                "_HANDLER": function.handler or "",
                "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
                "AWS_LAMBDA_FUNCTION_VERSION": str(function.version or "$LATEST"),
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.function_name}",
                "AWS_REGION": function.region,
                "AWS_DEFAULT_REGION": function.region,
            }
        )
        for name, value in (function.environment_vars or {}).items():
            variables[name] = self.rewrite_value(str(value))
        return variables

    def invoke(self, function: MotoLambdaFunction, event: Any) -> InvocationResult:
        """Run the handler; an exception becomes a function error named after its class,
        and a handler still running at the function's timeout is stopped (Sandbox.Timedout)."""
        timeout = float(function.timeout or 3)
        context = LambdaContext(
            function_name=function.function_name,
            function_version=str(function.version or "$LATEST"),
            invoked_function_arn=function.function_arn,
            memory_limit_in_mb=int(function.memory_size),
            aws_request_id=str(uuid.uuid4()),
            log_group_name=f"/aws/lambda/{function.function_name}",
            log_stream_name=f"local/{uuid.uuid4().hex}",
            deadline=time.monotonic() + timeout,
        )
        if isinstance(event, str | bytes):
            event = json.loads(event or "{}")
        invocation = _Invocation()
        worker = threading.Thread(
            target=invocation.run,
            args=(lambda: self._run(function, event, context, invocation),),
            name=f"lambda-{function.function_name}",
            daemon=True,
        )
        worker.start()
        worker.join(timeout)
        if invocation.result is not None:
            return invocation.result
        stop_thread(worker)
        payload = timed_out_payload(context.aws_request_id, timeout)
        return InvocationResult(json.dumps(payload), True, invocation.logs() + "\n")

    def _run(
        self,
        function: MotoLambdaFunction,
        event: Any,
        context: LambdaContext,
        invocation: _Invocation,
    ) -> InvocationResult:
        with (
            self.environ.overlay(self.function_environment(function)),
            self.stdout.capture() as output,
        ):
            invocation.output = output
            try:
                handler = function.handler or ""
                self.code_store.ensure_importable(function.code_bytes, handler)
                result = resolve_handler(handler)(event, context)
            except Exception as error:  # any handler failure is a function error, as in Lambda
                return self._finish(error_payload(error), True, output)
            try:
                payload = json.dumps(result)
            except (TypeError, ValueError) as error:
                # Lambda's runtime reports an unserialisable result as Runtime.MarshalError.
                marshal = {
                    "errorMessage": f"Unable to marshal response: {error}",
                    "errorType": "Runtime.MarshalError",
                }
                return self._finish(marshal, True, output)
            return InvocationResult(payload=payload, errored=False, logs=output.getvalue())

    @staticmethod
    def _finish(error: dict[str, Any], errored: bool, output: io.StringIO) -> InvocationResult:
        return InvocationResult(payload=json.dumps(error), errored=errored, logs=output.getvalue())
