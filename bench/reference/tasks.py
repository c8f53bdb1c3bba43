"""The join e-mail as the seed sent it: a Celery task queued after commit, one SMTP message per join."""

from celery import shared_task
from django.core.mail import send_mail

from mutiroes.events.models import Participation


@shared_task
def send_join_email(participation_id: int) -> None:
    participation = Participation.objects.select_related("user", "event").get(pk=participation_id)
    event = participation.event
    send_mail(
        subject=f"Inscrição confirmada: {event.title}",
        message=f"Olá, {participation.user.username}! Você está inscrito em {event.title} ({event.start_date:%d/%m}).",
        from_email=None,
        recipient_list=[participation.user.email],
    )
