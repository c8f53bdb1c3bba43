"""E-mails counted by kind and result: one the SMTP server (the aiosmtpd sink) takes, one it refuses."""

import pytest

from mutiroes.infra.email import EmailRefused
from mutiroes.notifications import services
from mutiroes.notifications.models import EmailDelivery
from tests.metrics.support import own_metrics, value

pytestmark = pytest.mark.django_db


def test_sent_and_refused_emails_are_counted_by_kind(
    client, smtp_server, event_factory, participation_factory, user_factory
):
    event = event_factory()
    taken, refused = (participation_factory(event=event, user=user_factory()).user for _ in range(2))
    kind = EmailDelivery.Kind.REGISTRATION
    before = own_metrics(client)
    assert services.notification_send(event_id=event.pk, user_id=taken.pk, kind=kind) == EmailDelivery.Status.SENT
    smtp_server.reply = "550 5.1.1 mailbox unavailable"
    with pytest.raises(EmailRefused):
        services.notification_send(event_id=event.pk, user_id=refused.pk, kind=kind)

    after = own_metrics(client)
    counted = {
        result: value(after, "mutiroes_emails_total", kind=kind, result=result)
        - value(before, "mutiroes_emails_total", kind=kind, result=result)
        for result in ("sent", "failed")
    }
    assert counted == {"sent": 1, "failed": 1}
    assert len(smtp_server.messages) == 1
