"""Callgrind client requests for Python: dump the counters at fixed points, and named C stages.

Only the standard library here: the module runs in the peers' virtual environments too.

``dump(label)`` is ``CALLGRIND_DUMP_STATS_AT``: callgrind writes the instructions executed since
the previous dump (every thread) to a new numbered out file and zeroes its counters, so one process
can measure several intervals — the start-up and the warm-up fall outside them.  ``stage(name, fn)``
returns a callable that runs ``fn`` through a C function named ``llm_stage_<name>``, so that
callgrind's inclusive cost of that function is the stage's cost, all callees included (CPython's
own frames all look alike to callgrind).  Both are no-ops outside valgrind.

The C source is compiled once per interpreter into ``benchmarks/.build/`` (needs a C compiler,
the Python headers and valgrind's ``callgrind.h``); ``available()`` says whether that worked.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

BUILD: Final = Path(__file__).resolve().parent.parent / ".build"
#: The stages llm_agent's breakdown is grouped into (a C trampoline each).
STAGES: Final = ("request", "response", "stream", "span_end", "span_build", "handoff", "export", "metrics", "sink")
#: One C frame per stage, and one per stage run inside another (``handoff__in_span_end``), so the
#: outer stage's own cost is its inclusive cost less that of the stages run inside it.
FRAMES: Final = (*STAGES, *(f"{inner}__in_{outer}" for outer in STAGES for inner in STAGES if inner != outer))

_SOURCE: Final = (
    r"""
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <valgrind/callgrind.h>

static PyObject *cg_dump(PyObject *self, PyObject *arg) {
    const char *label = PyUnicode_AsUTF8(arg);
    if (label == NULL) return NULL;
    CALLGRIND_DUMP_STATS_AT(label);
    Py_RETURN_NONE;
}

static PyObject *cg_running(PyObject *self, PyObject *unused) {
    return PyBool_FromLong(RUNNING_ON_VALGRIND);
}

/* One named C frame per stage: args[0] is the callable, the rest its arguments. */
#define STAGE(name) \
static __attribute__((noinline)) PyObject *llm_stage_##name(PyObject *self, PyObject *const *args, \
                                                         Py_ssize_t nargs, PyObject *kwnames) { \
    if (nargs < 1) { PyErr_SetString(PyExc_TypeError, "stage needs a callable"); return NULL; } \
    return PyObject_Vectorcall(args[0], args + 1, nargs - 1, kwnames); \
}
"""
    + "".join(f"STAGE({name})\n" for name in FRAMES)
    + r"""
static PyMethodDef methods[] = {
    {"dump", cg_dump, METH_O, NULL},
    {"running", cg_running, METH_NOARGS, NULL},
"""
    + "".join(
        f'    {{"stage_{name}", (PyCFunction)(void (*)(void))llm_stage_{name}, METH_FASTCALL | METH_KEYWORDS, NULL}},\n'
        for name in FRAMES
    )
    + r"""
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_cgmarks", NULL, -1, methods};

PyMODINIT_FUNC PyInit__cgmarks(void) { return PyModule_Create(&module); }
"""
)

_module: Any = None
_tried = False
#: The stage running on this thread (to pick the ``__in_`` frame of a nested one).
_active = threading.local()


def _build() -> Any:
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    digest = hashlib.sha256(_SOURCE.encode()).hexdigest()[:12]
    target = BUILD / f"_cgmarks-{digest}{suffix}"
    if not target.exists():
        BUILD.mkdir(parents=True, exist_ok=True)
        source = BUILD / f"_cgmarks-{digest}.c"
        source.write_text(_SOURCE)
        include = sysconfig.get_paths()["include"]
        tmp = target.with_suffix(".tmp")
        subprocess.run(
            ["cc", "-O2", "-shared", "-fPIC", f"-I{include}", str(source), "-o", str(tmp)],
            check=True,
            capture_output=True,
        )
        tmp.replace(target)
    spec = importlib.util.spec_from_file_location("_cgmarks", target)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load() -> Any:
    global _module, _tried
    if not _tried:
        _tried = True
        try:
            _module = _build()
        except (OSError, subprocess.CalledProcessError, ImportError) as exc:
            print(f"callgrind_marks: no client requests ({exc})", file=sys.stderr)
    return _module


def available() -> bool:
    """Whether the client requests could be built (valgrind's header and a C compiler present)."""
    return _load() is not None


def running_on_valgrind() -> bool:
    module = _load()
    return bool(module is not None and module.running())


#: Set to an out-file prefix, ``dump`` writes callgrind-like files itself, counting the process's CPU
#: nanoseconds instead of instructions: the harness's plumbing test where valgrind is absent.
FAKE_ENV: Final = "CALLGRIND_MARKS_FAKE_OUT"
_fake = {"dumps": 0, "last": 0}


def dump(label: str) -> None:
    """Dump callgrind's counters (every thread, since the previous dump) and zero them."""
    fake = os.environ.get(FAKE_ENV)
    if fake:
        now = time.process_time_ns()
        _fake["dumps"] += 1
        Path(f"{fake}.{_fake['dumps']}").write_text(
            f"desc: Trigger: Client Request: {label}\ntotals: {now - _fake['last']}\n"
        )
        _fake["last"] = now
        return
    module = _load()
    if module is not None:
        module.dump(label)


def stage(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` called through the C frame ``llm_stage_<name>`` (``fn`` itself without the module)."""
    module = _load()
    if module is None:
        return fn
    direct = getattr(module, f"stage_{name}")
    inside = {outer: getattr(module, f"stage_{name}__in_{outer}") for outer in STAGES if outer != name}

    def staged(*args: Any, **kwargs: Any) -> Any:
        outer = getattr(_active, "stage", None)
        if outer == name:  # re-entered (a subclass calling its base's staged method): one frame
            return fn(*args, **kwargs)
        _active.stage = name
        try:
            return (direct if outer is None else inside[outer])(fn, *args, **kwargs)
        finally:
            _active.stage = outer

    staged.__wrapped__ = fn  # type: ignore[attr-defined]
    return staged
