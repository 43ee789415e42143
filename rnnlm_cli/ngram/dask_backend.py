"""``ngram-count -dask ADDRESS``: the stages of the partitioned estimate on a Dask cluster.

``local:N`` starts a LocalCluster of N single-threaded worker processes on this
machine; anything else is the address of a running scheduler
(``tcp://host:8786``).  Each stage is mapped over its shards or partitions, and
the job every task shares (vocabulary, partitioning, settings) is scattered to
the workers once per stage.  Tasks pass arrays through the work folder, which
must therefore be on a filesystem every worker sees (``-temp-dir``), and so must
the text.  Dask is an optional extra, imported only here.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager

from ..errors import ConfigError

INSTALL_HINT = ("-dask needs Dask and its distributed scheduler: pip install 'rnnlm[dask]' "
                "(in a checkout: pip install '.[dask]')")


class DaskRun:
    """``run(function, arguments)`` for the partitioned stages: each argument tuple
    starts with the shared job, which travels to every worker once."""

    def __init__(self, client):
        self.client = client

    @property
    def workers(self) -> int:
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def __call__(self, function, arguments: list) -> list:
        if not arguments:
            return []
        shared = self.client.scatter(arguments[0][0], broadcast=True, hash=False)
        futures = self.client.map(_apply, [function] * len(arguments),
                                  [shared] * len(arguments), [a[1:] for a in arguments],
                                  pure=False)
        return self.client.gather(futures)


def _apply(function, job, rest):
    return function(job, *rest)


def parse_address(address: str):
    """(workers of a local cluster, or 0 for a scheduler address)."""
    if address.startswith("local:"):
        count = address[len("local:"):]
        if not count.isdigit() or int(count) < 1:
            raise ConfigError(f"-dask {address}: give local:N with N >= 1 workers")
        return int(count)
    if not address.strip():
        raise ConfigError("-dask: give a scheduler address or local:N")
    return 0


@contextmanager
def dask_run(address: str, timeout_s: float = 5.0):
    """A ``DaskRun`` on the cluster at ``address``; a local cluster is shut down after."""
    local = parse_address(address)
    try:
        import distributed
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
    cluster = None
    try:
        if local:
            cluster = distributed.LocalCluster(n_workers=local, threads_per_worker=1,
                                               processes=True, dashboard_address=None,
                                               silence_logs=logging.CRITICAL)
            client = distributed.Client(cluster)
        else:
            client = distributed.Client(address, timeout=f"{timeout_s}s")
    except (OSError, TimeoutError, ValueError) as exc:
        if cluster is not None:
            cluster.close()
        raise ConfigError(f"-dask {address}: cannot reach the scheduler ({exc})") from None
    try:
        yield DaskRun(client)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
