"""What the events app announces to the apps above it, which subscribe in their AppConfig.ready: the events app
imports none of them. Sent inside the service's transaction, so a receiver's writes commit or roll back with it."""

from django.dispatch import Signal

# An event was cancelled (kwargs: event_id, user who cancelled it).
event_cancelled = Signal()
