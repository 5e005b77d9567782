"""Seed the reference lists: genders, agency types and Kyrgyzstan's regions."""

from django.db import migrations

from participants.normalize import fold

GENDERS = [
    ("female", "Female", ""),
    ("male", "Male", ""),
    ("other", "Other", ""),
    ("undisclosed", "Undisclosed", ""),
]

AGENCY_TYPES = [
    ("Ministry", "Министерство, Министрлик, Ministry/agency, Government"),
    ("Court", "Суд, Сот, Judiciary"),
    ("Prosecution", "Прокуратура, Prosecutor's office, Prosecutor"),
    ("Police", "Полиция, Милиция, МВД, Law enforcement"),
    ("Penitentiary", "Пенитенциарная система, Penitentiary service, Prison service"),
    ("Ombudsman", "Омбудсмен, Акыйкатчы, Ombudsperson, NHRI"),
    ("Parliament", "Парламент, Жогорку Кенеш"),
    ("Local government", "Местное самоуправление, Жергиликтүү өз алдынча башкаруу, LSG"),
    ("Civil society", "Гражданское общество, НПО, NGO, CSO"),
    ("Media", "СМИ, Медиа, Журналисты"),
    ("Academia", "Академия, Университет, ВУЗ, University"),
    ("International organisation", "Международная организация, International organization, IO"),
    ("Other", "Другое, Башка"),
]

REGIONS = [
    ("Batken", "Баткен, Баткенская область, Batken oblast"),
    ("Chui", "Чуй, Чуйская область, Chuy, Chui oblast"),
    ("Issyk-Kul", "Иссык-Куль, Ысык-Көл, Иссык-Кульская область, Issyk Kul, Ysyk-Kol"),
    ("Jalal-Abad", "Джалал-Абад, Жалал-Абад, Джалал-Абадская область, Jalal Abad, Jalalabad"),
    ("Naryn", "Нарын, Нарынская область"),
    ("Osh", "Ош, Ошская область, Osh oblast"),
    ("Talas", "Талас, Таласская область"),
    ("Bishkek city", "Бишкек, г. Бишкек, Бишкек шаары, Bishkek"),
    ("Osh city", "г. Ош, Ош шаары"),
]


def seed(apps, schema_editor):
    Gender = apps.get_model("participants", "Gender")
    AgencyType = apps.get_model("participants", "AgencyType")
    Region = apps.get_model("participants", "Region")
    for order, (code, name, aliases) in enumerate(GENDERS):
        Gender.objects.update_or_create(
            code=code,
            defaults={"name": name, "name_key": fold(name), "aliases": aliases, "sort_order": order},
        )
    for model, rows in ((AgencyType, AGENCY_TYPES), (Region, REGIONS)):
        for order, (name, aliases) in enumerate(rows):
            model.objects.update_or_create(
                name_key=fold(name),
                defaults={"name": name, "aliases": aliases, "sort_order": order},
            )


def unseed(apps, schema_editor):
    Gender = apps.get_model("participants", "Gender")
    AgencyType = apps.get_model("participants", "AgencyType")
    Region = apps.get_model("participants", "Region")
    Gender.objects.filter(code__in=[g[0] for g in GENDERS], participants__isnull=True).delete()
    AgencyType.objects.filter(
        name_key__in=[fold(n) for n, _ in AGENCY_TYPES], agencies__isnull=True
    ).delete()
    Region.objects.filter(
        name_key__in=[fold(n) for n, _ in REGIONS], participants__isnull=True, sessions__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("participants", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
