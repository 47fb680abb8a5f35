from django_tasks import task


@task(queue_name="default")
def run_job(job_id: int, tenant_id: int) -> None:
    from dinghuo.core import jobs

    jobs.run(job_id, tenant_id)
