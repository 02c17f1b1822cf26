"""Thread counts of torch and the BLAS library, set in one place.

Small numerical work (a few thousand points, a 24-joint body) runs faster and
reproducibly on one thread: extra threads only add synchronisation, and on a
busy machine their spin-waiting costs several times the work itself. Torch's
intra-op pool and the BLAS pools (OpenBLAS, MKL, through `threadpoolctl`) are
process-wide, so every change goes through this module:

- `limit_threads`: a context manager for a block of work; the previous counts
  come back on exit (also on an exception).
- `set_threads`: the same setting for the rest of the process, for a worker
  process at start (nothing to restore: the process runs one item at a time).

A count of None leaves that library alone.

Example::

    with limit_threads(torch_threads=1, blas_threads=1):
        fit = register(...)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


def set_threads(torch_threads: int | None = None, blas_threads: int | None = None) -> None:
    """Set the thread counts for the rest of the process (not restored).

    Args:
        torch_threads: torch's intra-op thread count, or None to leave it.
        blas_threads: the BLAS libraries' thread count, or None to leave it.
    """
    if torch_threads is not None:
        import torch

        torch.set_num_threads(torch_threads)
    if blas_threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=blas_threads, user_api="blas")


@contextlib.contextmanager
def limit_threads(torch_threads: int | None = None, blas_threads: int | None = None) -> Iterator[None]:
    """Run the block with these thread counts, then restore the previous ones.

    Torch is set first and restored last; the BLAS limit lies inside it.

    Args:
        torch_threads: torch's intra-op thread count, or None to leave it.
        blas_threads: the BLAS libraries' thread count, or None to leave it.
    """
    with contextlib.ExitStack() as stack:
        if torch_threads is not None:
            import torch

            before = torch.get_num_threads()
            torch.set_num_threads(torch_threads)
            stack.callback(torch.set_num_threads, before)
        if blas_threads is not None:
            from threadpoolctl import threadpool_limits

            stack.enter_context(threadpool_limits(limits=blas_threads, user_api="blas"))
        yield
