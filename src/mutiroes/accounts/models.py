from datetime import date

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower

from mutiroes.core.models import TimeStampedModel

UF_CHOICES = [
    (uf, uf)
    for uf in (
        [
            "AC",
            "AL",
            "AP",
            "AM",
            "BA",
            "CE",
            "DF",
            "ES",
            "GO",
            "MA",
            "MT",
            "MS",
            "MG",
            "PA",
            "PB",
            "PR",
            "PE",
            "PI",
            "RJ",
            "RN",
            "RS",
            "RO",
            "RR",
            "SC",
            "SP",
            "SE",
            "TO",
        ]
    )
]


class User(AbstractUser):
    email = models.EmailField("e-mail", max_length=254)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            # Case-insensitive uniqueness lives in the database so concurrent registrations cannot both win.
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]


class Profile(TimeStampedModel):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    birth_date = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, choices=UF_CHOICES, blank=True)
    bio = models.TextField(max_length=2000, blank=True)
    interests = models.JSONField(default=list, blank=True)
    is_public = models.BooleanField("public profile", default=True)
    show_city = models.BooleanField(default=True)
    show_stats = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"profile of {self.user}"

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
