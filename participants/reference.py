"""The seeded reference lists' names, marked for translation (models show them translated).

The names stay in English in the database, the JSON and the imports' matching; pages show them in
the reader's language through ``ReferenceItem.__str__``.
"""

from django.utils.translation import gettext_noop

SEEDED_NAMES = [
    gettext_noop("Female"),
    gettext_noop("Male"),
    gettext_noop("Other"),
    gettext_noop("Undisclosed"),
    gettext_noop("Ministry"),
    gettext_noop("Court"),
    gettext_noop("Prosecution"),
    gettext_noop("Police"),
    gettext_noop("Penitentiary"),
    gettext_noop("Ombudsman"),
    gettext_noop("Parliament"),
    gettext_noop("Local government"),
    gettext_noop("Civil society"),
    gettext_noop("Media"),
    gettext_noop("Academia"),
    gettext_noop("International organisation"),
    gettext_noop("Batken"),
    gettext_noop("Chui"),
    gettext_noop("Issyk-Kul"),
    gettext_noop("Jalal-Abad"),
    gettext_noop("Naryn"),
    gettext_noop("Osh"),
    gettext_noop("Talas"),
    gettext_noop("Bishkek city"),
    gettext_noop("Osh city"),
]
