"""The event list and the join, written the way the seed's stack wrote them (DRF generic views, serializers)."""

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.reference.tasks import send_join_email
from mutiroes.accounts.models import User
from mutiroes.events.models import Category, Event, Participation


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug"]


class OrganizerSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username"]


class EventSerializer(serializers.ModelSerializer):
    category = CategorySerializer()
    organizer = OrganizerSerializer()
    spots_left = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = ["id", "title", "description", "category", "organizer", "address", "city", "state", "latitude",
                  "longitude", "start_date", "end_date", "registration_deadline", "max_participants", "min_age",
                  "max_age", "requires_approval", "is_public", "status", "tools_needed", "tools_provided",
                  "what_to_bring", "participants_count", "spots_left", "created_at", "updated_at"]  # fmt: skip

    def get_spots_left(self, event: Event) -> int:
        return max(event.max_participants - event.participants_count, 0)


class EventList(generics.ListAPIView):
    """Published events a visitor may see, by start date, 50 a page with an exact count (PageNumberPagination)."""

    serializer_class = EventSerializer
    permission_classes = [AllowAny]

    def get_queryset(self):
        user = self.request.user
        visible = Q(is_public=True)
        if user.is_authenticated:
            visible |= Q(organizer=user) | Q(participations__user=user)
        events = Event.objects.filter(visible, status="published").select_related("category", "organizer")
        return events.distinct().order_by("start_date", "id")


class Join(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request, event_id: int):
        with transaction.atomic():
            event = Event.objects.select_for_update().get(pk=event_id, status="published")
            existing = Participation.objects.filter(event=event, user=request.user).first()
            if existing is not None:
                return Response({"id": existing.pk, "status": existing.status})
            full = event.participants_count >= event.max_participants
            participation = Participation.objects.create(
                event=event,
                user=request.user,
                status="waitlisted" if full else "confirmed",
                registered_at=timezone.now(),
            )
            if not full:
                Event.objects.filter(pk=event.pk).update(participants_count=F("participants_count") + 1)
            transaction.on_commit(lambda: send_join_email.delay(participation.pk))
        return Response({"id": participation.pk, "status": participation.status}, status=status.HTTP_201_CREATED)
