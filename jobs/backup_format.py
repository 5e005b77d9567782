"""The serialization format of backups: Django's JSON lines, datetimes to the microsecond.

Django's own JSON encoder cuts datetimes and times to milliseconds (as JavaScript reads them),
which would change every timestamp a backup round-trips, the audit trail's order included.
Reading uses Django's JSON lines deserializer unchanged.
"""

import datetime as dt
from typing import Any

from django.core.serializers import jsonl
from django.core.serializers.json import DjangoJSONEncoder

NAME = "bilim_jsonl"


class ExactJSONEncoder(DjangoJSONEncoder):
    """Encode datetimes and times with all their digits."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime):
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        if isinstance(o, dt.time) and o.utcoffset() is None:
            return o.isoformat()
        return super().default(o)


class Serializer(jsonl.Serializer):
    """Write JSON lines with the exact encoder."""

    def _init_options(self) -> None:
        self.options.setdefault("cls", ExactJSONEncoder)
        super()._init_options()


Deserializer = jsonl.Deserializer
