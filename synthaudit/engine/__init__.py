"""The engine: replications × generations of fit → sample → fit (docs/design.md §3, §6).

=============  ==================================================================================
``plan``       :func:`prepare` validates a request (every problem at once) and builds the frozen
               :class:`AuditPlan`
``fast``       the fast exact path: sufficient statistics drawn directly, vectorised over lanes
``rows``       the per-row path: rows sampled and the model refitted (any adapter)
``executors``  how units run: :data:`EXECUTORS` maps ``"serial"``, ``"joblib"``, ``"dask"`` to
               functions yielding finished units
``run``        :func:`run_audit` and :func:`assemble`
=============  ==================================================================================

Each unit returns an array ``values[replication, generation, quantity]``; the result assembles
them in replication order, so the trace is the same for any ``n_jobs`` or backend.
"""

from __future__ import annotations

from .executors import EXECUTORS, execute
from .plan import AuditPlan, prepare
from .run import assemble, run_audit

__all__ = ["EXECUTORS", "AuditPlan", "assemble", "execute", "prepare", "run_audit"]
