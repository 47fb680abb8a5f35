"""Background jobs with progress: start one from a page or the API, run it on the worker.

    job = job_start(actor=actor, kind="catalog.import", handler="dinghuo.catalog.importers:run_product_import",
                    input_file=upload, params={...})
    # later, in the handler (running on `dinghuo worker`, or inline under tests):
    def run_product_import(job: Job) -> None:
        for i, row in enumerate(rows):
            job_progress(job, done=i, total=len(rows))
        job_finish(job, result={...})            # or raise DomainError → job failed with its message

Progress is written on the job's own short transactions, so a page polling the job sees it move
while the handler's real work can still be one all-or-nothing transaction at the end.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.utils import timezone

from dinghuo.core.errors import DomainError
from dinghuo.core.models import Job
from dinghuo.core.tenancy import Actor, tenant_context

log = logging.getLogger(__name__)


def job_start(
    *, actor: Actor, kind: str, handler: str, params: dict | None = None, input_file: File | None = None
) -> Job:
    job = Job(kind=kind, handler=handler, params=params or {}, created_by_id=actor.user_id)
    if input_file is not None:
        job.input_file.save(getattr(input_file, "name", "upload.bin").rsplit("/", 1)[-1], input_file, save=False)
    job.save()
    job_id, tenant_id = job.pk, job.tenant_id
    transaction.on_commit(lambda: _enqueue(job_id, tenant_id))
    return job


def _enqueue(job_id: int, tenant_id: int) -> None:
    from dinghuo.core.tasks import run_job

    run_job.enqueue(job_id=job_id, tenant_id=tenant_id)


def job_progress(job: Job, *, done: int, total: int | None = None, message: str = "") -> None:
    job.done = done
    if total is not None:
        job.total = total
    fields = ["done", "total"]
    if message:
        job.message = message[:500]
        fields.append("message")
    Job.objects.filter(pk=job.pk).update(**{f: getattr(job, f) for f in fields})


def job_finish(job: Job, *, result: dict | None = None, output: File | None = None, message: str = "") -> None:
    job.status = Job.Status.DONE
    job.result = result or {}
    job.message = message[:500]
    job.finished_at = timezone.now()
    job.done = job.total or job.done
    if output is not None:
        job.output_file.save(getattr(output, "name", "result.bin").rsplit("/", 1)[-1], output, save=False)
    job.save(update_fields=["status", "result", "message", "finished_at", "done", "output_file"])


def job_fail(job: Job, *, message: str, result: dict | None = None, output: File | None = None) -> None:
    job.status = Job.Status.FAILED
    job.message = message[:500]
    job.result = result or job.result or {}
    job.finished_at = timezone.now()
    if output is not None:
        job.output_file.save(getattr(output, "name", "errors.bin").rsplit("/", 1)[-1], output, save=False)
    job.save(update_fields=["status", "message", "result", "finished_at", "output_file"])


def run(job_id: int, tenant_id: int) -> None:
    with tenant_context(tenant_id):
        job = Job.objects.get(pk=job_id)
        if job.status not in (Job.Status.QUEUED,):
            return
        job.status = Job.Status.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["status", "started_at"])
        module, _, name = job.handler.partition(":")
        handler: Any = getattr(importlib.import_module(module), name)
        actor = _actor_for(job)
        with tenant_context(tenant_id, actor):
            try:
                handler(job)
            except DomainError as exc:
                job_fail(job, message=exc.message, result={"error": exc.as_dict()})
            except Exception:
                log.exception("job %s failed", job_id)
                job_fail(job, message="internal error; the details are in the server log")
            else:
                job.refresh_from_db(fields=["status"])
                if job.status == Job.Status.RUNNING:
                    job_finish(job, result=job.result)


def _actor_for(job: Job) -> Actor:
    from dinghuo.accounts.models import Membership

    membership = (
        Membership.objects.select_related("user").filter(user_id=job.created_by_id, is_active=True).first()
        if job.created_by_id
        else None
    )
    return Actor.for_membership(membership, via="job") if membership else Actor.system(job.tenant_id, "job")
