"""Great-circle distance in SQL: a bounding box the indexes can use, then the exact haversine distance."""

import math
from collections.abc import Callable

from django.db.models import F, FloatField, Func, QuerySet, Value
from django.db.models.functions import ASin, Cos, Least, Power, Radians, Sin, Sqrt

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius
PageReader = Callable[[int, int, int], list]  # (capped count, offset, limit) -> the page's rows


def bounding_box(lat: float, lng: float, radius_km: float) -> tuple[float, float, float | None, float | None]:
    """(min_lat, max_lat, min_lng, max_lng) enclosing the circle.

    Longitudes widen towards the poles; when the box touches a pole or crosses the antimeridian the
    longitude bounds are None (no longitude filter) rather than a wrong, wrapped range.
    """
    angular = radius_km / EARTH_RADIUS_KM
    dlat = math.degrees(angular)
    min_lat, max_lat = max(lat - dlat, -90.0), min(lat + dlat, 90.0)
    if min_lat <= -90.0 or max_lat >= 90.0 or angular >= math.pi / 2:
        return min_lat, max_lat, None, None
    dlng = math.degrees(math.asin(min(1.0, math.sin(angular) / math.cos(math.radians(lat)))))
    if lng - dlng < -180.0 or lng + dlng > 180.0:
        return min_lat, max_lat, None, None
    return min_lat, max_lat, lng - dlng, lng + dlng


def haversine_km(lat: float, lng: float) -> Func:
    """Expression: distance in km from (lat, lng) to each row's (latitude, longitude)."""
    phi1 = Value(math.radians(lat), output_field=FloatField())
    dphi = Radians(F("latitude")) - phi1
    dlmb = Radians(F("longitude")) - Value(math.radians(lng), output_field=FloatField())
    a = Power(Sin(dphi / 2), 2) + Cos(phi1) * Cos(Radians(F("latitude"))) * Power(Sin(dlmb / 2), 2)
    # Rounding can push `a` a hair above 1, which asin would reject.
    return 2 * EARTH_RADIUS_KM * ASin(Sqrt(Least(a, Value(1.0))))


def within_radius(queryset: QuerySet, *, lat: float, lng: float, radius_km: float) -> QuerySet:
    return _inside(queryset.annotate(distance_km=haversine_km(lat, lng)), lat=lat, lng=lng, radius_km=radius_km)


def _inside(queryset: QuerySet, *, lat: float, lng: float, radius_km: float) -> QuerySet:
    min_lat, max_lat, min_lng, max_lng = bounding_box(lat, lng, radius_km)
    queryset = queryset.filter(latitude__gte=min_lat, latitude__lte=max_lat)
    if min_lng is not None:
        queryset = queryset.filter(longitude__gte=min_lng, longitude__lte=max_lng)
    return queryset.filter(distance_km__lte=radius_km)


def nearest_rows(queryset: QuerySet, *, lat: float, lng: float, radius_km: float) -> PageReader:
    """A page reader for `queryset`: within_radius(...) sorted by distance.

    Every result within r km comes before every result beyond it, so when the disc of radius r holds
    `offset + limit` results they are the first ones of the whole radius: PostgreSQL then reads the events of a
    small bounding box instead of computing and sorting the distance of every event in the radius (thousands
    around a big city). The first disc is sized from the count as if the results were spread evenly, with twice
    the area needed; a disc that holds too few is doubled, up to the whole radius.
    """

    def read(counted: int, offset: int, limit: int) -> list:
        wanted = offset + limit
        radius = radius_km * min(1.0, math.sqrt(2 * wanted / counted)) if counted else radius_km
        while True:
            rows = list(_inside(queryset, lat=lat, lng=lng, radius_km=radius)[offset:wanted])
            if len(rows) == limit or radius >= radius_km:
                return rows
            radius = min(radius_km, 2 * radius)

    return read
