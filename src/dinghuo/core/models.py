from django.db import models
from django.utils.translation import gettext_lazy as _

from dinghuo.core.tenancy import TenantModel


class AuditEntry(TenantModel):
    """One append-only audit row. Rows form hash chains per (tenant, stream); see core/audit.py."""

    stream = models.PositiveSmallIntegerField(_("stream"))
    seq = models.PositiveBigIntegerField(_("sequence"))
    created_at = models.DateTimeField(_("time"))
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_label = models.CharField(_("actor"), max_length=120, blank=True)
    via = models.CharField(_("channel"), max_length=20, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        constraints = [models.UniqueConstraint(fields=["tenant", "stream", "seq"], name="audit_chain_position")]
        indexes = [
            models.Index(fields=["tenant", "object_type", "object_id"], name="audit_object"),
            models.Index(fields=["tenant", "created_at"], name="audit_time"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(TenantModel):
    """The latest link of each chain. Locked to append; lets verify notice a deleted last row."""

    stream = models.PositiveSmallIntegerField()
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "stream"], name="audit_head_unique")]


class Counter(models.Model):
    """Named counters for document numbers where the database has no sequences (SQLite)."""

    name = models.CharField(max_length=40, unique=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class IdempotencyRecord(TenantModel):
    """A request made with an Idempotency-Key: its body's hash and, once done, its response.

    ``scope`` identifies the caller (a user or an API key) so two callers' keys never collide.
    A retry with the same key and body gets the stored response; another body gets 422; a retry
    while the first is still running gets 409. Kept ``IDEMPOTENCY_TTL_HOURS`` (default 24 h).
    """

    class State(models.TextChoices):
        STARTED = "started", _("In progress")
        DONE = "done", _("Done")

    scope = models.CharField(max_length=60)
    key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=8, choices=State.choices, default=State.STARTED)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    resource_type = models.CharField(max_length=40, blank=True)
    resource_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "scope", "key"], name="idempotency_unique")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


def job_file_path(instance: "Job", filename: str) -> str:
    return f"private/jobs/{instance.tenant_id}/{filename}"


class Job(TenantModel):
    """A long piece of work (an import, a report, a forecast) run in the background with progress.

    ``handler`` is the dotted path ("package.module:function") the worker calls with the job; the
    handler reports progress with ``core.jobs.job_progress`` and finishes with a result or an error
    report file. Pages poll the job to show a progress bar.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=40)
    handler = models.CharField(max_length=120)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    result = models.JSONField(default=dict, blank=True)
    input_file = models.FileField(upload_to=job_file_path, blank=True)
    output_file = models.FileField(upload_to=job_file_path, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0
