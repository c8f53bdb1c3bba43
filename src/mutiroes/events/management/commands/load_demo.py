"""Demo data for the embedded mode: loaded once, logins printed every time."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction

from mutiroes.accounts.models import User
from mutiroes.core import clock
from mutiroes.events.models import Category, Event

DEMO_PASSWORD = "mutirao-demo-2026"
USERS = [
    # username, first, last, city, state, staff
    ("admin", "Admin", "Mutirões", "São Paulo", "SP", True),
    ("ana", "Ana", "Souza", "São Paulo", "SP", False),
    ("bruno", "Bruno", "Lima", "Belo Horizonte", "MG", False),
    ("carla", "Carla", "Ribeiro", "São Paulo", "SP", False),
]
EVENTS = [
    # title, category slug, organiser, address, city, UF, lat, lng, days ahead, hours, capacity
    ("Limpeza do Parque Ibirapuera", "limpeza", "ana", "Av. Pedro Álvares Cabral, portão 3", "São Paulo", "SP",
     -23.5874, -46.6576, 7, 3, 40),
    ("Plantio de mudas nativas no Parque Villa-Lobos", "plantio", "ana", "Av. Prof. Fonseca Rodrigues, 2001",
     "São Paulo", "SP", -23.5469, -46.7239, 14, 4, 25),
    ("Monitoramento da qualidade da água do Rio Pinheiros", "monitoramento", "carla",
     "Ciclovia Rio Pinheiros, Ponte Cidade Jardim", "São Paulo", "SP", -23.5843, -46.6935, 10, 3, 12),
    ("Limpeza da orla da Lagoa da Pampulha", "limpeza", "bruno", "Av. Otacílio Negrão de Lima, 1350",
     "Belo Horizonte", "MG", -19.8512, -43.9734, 5, 3, 50),
    ("Oficina de compostagem no Parque Municipal", "educacao-ambiental", "bruno", "Av. Afonso Pena, 1377",
     "Belo Horizonte", "MG", -19.9228, -43.9351, 21, 2, 20),
]  # fmt: skip


class Command(BaseCommand):
    help = "Load the demo users and events once (embedded mode)."

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        if not User.objects.filter(username="ana").exists():
            self._load()
            self.stdout.write("Demo data loaded.")
        self.stdout.write(
            f"Demo logins (password {DEMO_PASSWORD!r}): " + ", ".join(u[0] for u in USERS) + " (admin is staff)"
        )

    def _load(self) -> None:
        users = {}
        for username, first, last, city, state, staff in USERS:
            user = User.objects.create_user(
                username=username, email=f"{username}@demo.mutiroes.org", password=DEMO_PASSWORD,
                first_name=first, last_name=last, is_staff=staff, is_superuser=staff, email_verified_at=clock.now(),
            )  # fmt: skip
            user.profile.city, user.profile.state = city, state
            user.profile.save()
            users[username] = user
        categories = {c.slug: c for c in Category.objects.all()}
        today = clock.now().replace(hour=11, minute=0, second=0, microsecond=0)  # 08:00 in São Paulo
        for title, slug, organiser, address, city, state, lat, lng, days, hours, capacity in EVENTS:
            start = today + timedelta(days=days)
            Event.objects.create(
                title=title, description=f"{title}. Traga água e protetor solar; luvas e sacos são fornecidos.",
                category=categories[slug], organizer=users[organiser], address=address, city=city, state=state,
                latitude=lat, longitude=lng, start_date=start, end_date=start + timedelta(hours=hours),
                registration_deadline=start - timedelta(hours=12), max_participants=capacity,
                status=Event.Status.PUBLISHED, tools_provided="luvas, sacos",
                what_to_bring="água, protetor solar, boné",
            )  # fmt: skip
