"""System checks that refuse a production start with development defaults."""
from django.conf import settings
from django.core.checks import Error, register


@register(deploy=False)
def production_safety(app_configs, **kwargs):
    errors = []
    if settings.DEBUG:
        return errors
    from .settings import DEFAULT_SECRET_KEY

    if settings.SECRET_KEY == DEFAULT_SECRET_KEY:
        errors.append(
            Error(
                "DEBUG is off but SECRET_KEY is the public development key.",
                hint="Set the SECRET_KEY environment variable to a long random string.",
                id="workbench.E001",
            )
        )
    if settings.CELERY_TASK_ALWAYS_EAGER:
        errors.append(
            Error(
                "DEBUG is off but Celery tasks run in-process (eager mode).",
                hint="Set REDIS_URL so tasks go to a real broker and run a worker "
                "(celery -A workbench worker), or set DEBUG=true for local use.",
                id="workbench.E002",
            )
        )
    return errors
