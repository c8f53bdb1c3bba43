"""`near` + `radius_km`: real great-circle distances, sorted, with the radius honoured everywhere on the globe."""

import math

import pytest

from mutiroes.events import geo, selectors

pytestmark = [pytest.mark.domain, pytest.mark.django_db]

SAO_PAULO = (-23.5505, -46.6333)  # Praça da Sé
CAMPINAS = (-22.9056, -47.0608)
RIO = (-22.9068, -43.1729)
BELO_HORIZONTE = (-19.9167, -43.9345)
SANTOS = (-23.9608, -46.3336)


@pytest.fixture
def cities(event_factory):
    def at(name, point):
        return event_factory(status="published", title=name, latitude=point[0], longitude=point[1])

    return {
        "campinas": at("Campinas", CAMPINAS),
        "rio": at("Rio", RIO),
        "bh": at("Belo Horizonte", BELO_HORIZONTE),
        "santos": at("Santos", SANTOS),
    }


def _listed(api_client, **params):
    response = api_client.get("/api/v1/events", {"page_size": 100, **params})
    assert response.status_code == 200, response.content
    return response.json()


def _near(point) -> str:
    return f"{point[0]},{point[1]}"


def test_known_city_distances(api_client, cities):
    body = _listed(api_client, near=_near(SAO_PAULO), radius_km=1000)
    distance = {item["title"]: item["distance_km"] for item in body["items"]}
    # As the crow flies: São Paulo–Campinas ≈ 84 km, São Paulo–Rio ≈ 360 km, São Paulo–BH ≈ 490 km.
    assert 83 <= distance["Campinas"] <= 90
    assert 357 <= distance["Rio"] <= 362
    assert 485 <= distance["Belo Horizonte"] <= 495
    assert 50 <= distance["Santos"] <= 60


def test_results_are_sorted_by_distance(api_client, cities):
    body = _listed(api_client, near=_near(SAO_PAULO), radius_km=1000)
    assert [item["title"] for item in body["items"]] == ["Santos", "Campinas", "Rio", "Belo Horizonte"]
    distances = [item["distance_km"] for item in body["items"]]
    assert distances == sorted(distances)
    assert body["count"] == 4


def test_radius_excludes_farther_events(api_client, cities):
    body = _listed(api_client, near=_near(SAO_PAULO), radius_km=100)
    assert [item["title"] for item in body["items"]] == ["Santos", "Campinas"]
    assert body["count"] == 2
    body = _listed(api_client, near=_near(SAO_PAULO), radius_km=70)
    assert [item["title"] for item in body["items"]] == ["Santos"]


def test_radius_is_a_circle_not_a_box(api_client, event_factory):
    # 70 km north and 70 km east of the centre are inside a 75 km box but ~99 km away on the diagonal.
    lat, lng = SAO_PAULO
    dlat = 70 / 111.195
    dlng = 70 / (111.195 * math.cos(math.radians(lat)))
    event_factory(status="published", title="Norte", latitude=lat + dlat, longitude=lng)
    event_factory(status="published", title="Diagonal", latitude=lat + dlat, longitude=lng + dlng)
    body = _listed(api_client, near=_near(SAO_PAULO), radius_km=75)
    assert [item["title"] for item in body["items"]] == ["Norte"]
    assert 69 <= body["items"][0]["distance_km"] <= 71


def test_ordering_by_start_date_keeps_the_radius(api_client, cities):
    body = _listed(api_client, near=_near(SAO_PAULO), radius_km=100, ordering="-start_date")
    assert {item["title"] for item in body["items"]} == {"Santos", "Campinas"}


def test_no_distance_without_near(api_client, cities):
    body = _listed(api_client)
    assert body["count"] == 4
    assert all(item["distance_km"] is None for item in body["items"])


def test_across_the_antimeridian(api_client, event_factory):
    event_factory(status="published", title="Fiji east", latitude=-17.0, longitude=-179.9)
    event_factory(status="published", title="Fiji far", latitude=-17.0, longitude=-175.0)
    body = _listed(api_client, near="-17.0,179.9", radius_km=50)
    assert [item["title"] for item in body["items"]] == ["Fiji east"]
    assert 20 <= body["items"][0]["distance_km"] <= 22.5


@pytest.mark.parametrize("near", ["90,0", "-90,0", "89.99,179.99", "-89.999,-180", "0,180", "0,-180"])
def test_poles_and_edges_do_not_crash(api_client, event_factory, near):
    event_factory(status="published", title="Polo", latitude=89.9, longitude=120)
    body = _listed(api_client, near=near, radius_km=50)
    titles = [item["title"] for item in body["items"]]
    assert titles == (["Polo"] if near.startswith(("90", "89.99")) else [])


def test_whole_earth_radius_reaches_near_the_antipode(api_client, event_factory):
    # Half a degree of latitude short of São Paulo's antipode: half the circumference (20,015 km) minus ~61 km.
    event_factory(status="published", title="Quase antípoda", latitude=23.0, longitude=133.3667)
    body = _listed(api_client, near=_near(SAO_PAULO), radius_km=20_000)
    assert [item["title"] for item in body["items"]] == ["Quase antípoda"]
    assert 19_940 <= body["items"][0]["distance_km"] <= 19_970


def test_bounding_box_contains_the_circle():
    for lat, lng, radius in [(-23.55, -46.63, 100), (60, 10, 500), (-75, 170, 300), (0, 0, 1)]:
        min_lat, max_lat, min_lng, max_lng = geo.bounding_box(lat, lng, radius)
        # Walk the circle: every point on it must be inside the box.
        for bearing in range(0, 360, 5):
            d, b = radius / geo.EARTH_RADIUS_KM, math.radians(bearing)
            phi1, lmb1 = math.radians(lat), math.radians(lng)
            phi2 = math.asin(math.sin(phi1) * math.cos(d) + math.cos(phi1) * math.sin(d) * math.cos(b))
            lmb2 = lmb1 + math.atan2(
                math.sin(b) * math.sin(d) * math.cos(phi1), math.cos(d) - math.sin(phi1) * math.sin(phi2)
            )
            plat, plng = math.degrees(phi2), (math.degrees(lmb2) + 540) % 360 - 180
            assert min_lat - 1e-9 <= plat <= max_lat + 1e-9
            if min_lng is not None:
                assert min_lng - 1e-9 <= plng <= max_lng + 1e-9


def test_selector_filters_hidden_events_with_near(event_factory, user_factory):
    event_factory(status="draft", latitude=CAMPINAS[0], longitude=CAMPINAS[1])
    event_factory(status="published", is_public=False, latitude=CAMPINAS[0], longitude=CAMPINAS[1])
    shown = event_factory(status="published", latitude=CAMPINAS[0], longitude=CAMPINAS[1])
    found = selectors.event_list(filters=selectors.EventFilters(near=SAO_PAULO, radius_km=100), user=user_factory())
    assert [e.pk for e in found] == [shown.pk]


def _north_of_sao_paulo(event_factory, distances_km):
    lat, lng = SAO_PAULO
    for km in distances_km:
        event_factory(status="published", title=f"{km} km", latitude=lat + km / 111.195, longitude=lng)


def _every_page(api_client, page_size, **params):
    titles, page = [], 1
    while True:
        body = _listed(api_client, page=page, page_size=page_size, **params)
        titles += [item["title"] for item in body["items"]]
        if not body["has_more"]:
            return titles, body["count"]
        page += 1


def test_pages_read_from_a_smaller_disc_are_the_nearest_in_order(api_client, event_factory):
    # 40 events 1..40 km away, created in shuffled order: the first pages are read from a disc smaller than the
    # radius (sized from the count), and must be exactly the nearest ones, in order, with nothing skipped.
    distances = [(7 * i) % 40 + 1 for i in range(40)]
    _north_of_sao_paulo(event_factory, distances)
    titles, count = _every_page(api_client, 5, near=_near(SAO_PAULO), radius_km=50)
    assert titles == [f"{km} km" for km in range(1, 41)]
    assert count == 40


def test_a_disc_too_small_for_the_page_is_widened(api_client, event_factory):
    # Every event near the edge of the radius: the disc sized as if they were spread evenly holds none of them.
    _north_of_sao_paulo(event_factory, range(30, 50))
    titles, _ = _every_page(api_client, 2, near=_near(SAO_PAULO), radius_km=50)
    assert titles == [f"{km} km" for km in range(30, 50)]
