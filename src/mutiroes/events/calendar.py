"""iCalendar rendering of an event (download link and e-mail attachment)."""

from icalendar import Calendar, vGeo
from icalendar import Event as ICalEvent

from mutiroes.core import clock
from mutiroes.events.models import Event


def event_ics(event: Event) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Mutiroes//mutiroes.org//PT-BR")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    item = ICalEvent()
    item.add("uid", f"event-{event.pk}@mutiroes.org")
    item.add("dtstamp", clock.now())
    item.add("dtstart", event.start_date)
    item.add("dtend", event.end_date)
    item.add("summary", event.title)
    item.add("description", event.description)
    item.add("location", f"{event.address}, {event.city} - {event.state}")
    item.add("geo", vGeo((event.latitude, event.longitude)))
    item.add("status", "CANCELLED" if event.status == Event.Status.CANCELLED else "CONFIRMED")
    cal.add_component(item)
    return cal.to_ical()
