"""Start-up hook installed by ``llm-agent-instrument``; Python imports it before the app runs.

1. Runs the ``sitecustomize`` this one shadows (the next on ``sys.path``), as Python would have.
2. Calls ``llm_agent.init()`` configured by the ``LLM_AGENT_*`` variables.

It never raises: a wrong setting or a missing dependency costs one line on stderr and the app runs
uninstrumented.  This file uses only the standard library until step 2, so step 1 happens even
when llm_agent cannot be imported by this interpreter.
"""

import os
import sys
import types


def _chain_next_sitecustomize(own_dir: str) -> None:
    import importlib.machinery
    import importlib.util

    own = os.path.realpath(own_dir)
    search = [p for p in sys.path if os.path.realpath(p or os.curdir) != own]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", search)
    if spec is None or spec.loader is None or not spec.origin:
        return
    if os.path.realpath(spec.origin) == os.path.realpath(__file__):
        return
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # the same report Python's site module gives a failing sitecustomize
        print(
            f"Error in sitecustomize; set PYTHONVERBOSE for traceback:\n{err.__class__.__name__}: {err}",
            file=sys.stderr,
        )
    globals()["chained"] = module


def _import_bootstrap() -> types.ModuleType:
    # ``import llm_agent`` is a lazy facade that imports no dependency: load the tracing side
    # here, so that an interpreter lacking OpenTelemetry says "cannot import llm_agent" (below).
    from llm_agent import _agent  # noqa: F401
    from llm_agent.auto import _bootstrap

    return _bootstrap


def _start_llm_agent(own_dir: str) -> None:
    try:
        try:
            _bootstrap = _import_bootstrap()
        except ImportError:
            # Launched from a source checkout that this interpreter has not installed: find the
            # package next to this file, at the end of sys.path so it shadows nothing.
            root = os.path.dirname(os.path.dirname(os.path.dirname(own_dir)))
            if root not in sys.path:
                sys.path.append(root)
            _bootstrap = _import_bootstrap()
    except Exception as exc:
        sys.stderr.write(
            f"llm_agent: auto-instrumentation is off in {sys.executable}: cannot import llm_agent ({exc})\n"
        )
        return
    _bootstrap.start()


def _main() -> None:
    own_dir = os.path.dirname(os.path.abspath(__file__))
    try:
        _chain_next_sitecustomize(own_dir)
    except Exception as exc:
        sys.stderr.write(f"llm_agent: could not run the other sitecustomize: {exc!r}\n")
    _start_llm_agent(own_dir)


_main()
