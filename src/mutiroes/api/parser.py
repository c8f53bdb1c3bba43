"""JSON bodies only as application/json: any other declared type is a 415, never parsed as JSON anyway."""

from typing import Any

from django.http import HttpRequest
from ninja.parser import Parser

from mutiroes.core.exceptions import UnsupportedMedia

JSON = "application/json"


class JsonOnlyParser(Parser):
    # ninja calls this only for routes that take a JSON body (forms and files are read from request.POST/FILES),
    # and only when there is a body, so an empty POST /join stays fine whatever its Content-Type.
    def parse_body(self, request: HttpRequest) -> Any:
        if request.content_type != JSON:
            raise UnsupportedMedia(f"send the body as {JSON}", content_type=request.content_type or "")
        return super().parse_body(request)
