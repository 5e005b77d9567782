"""factory_boy factories for every record; the reference lists come from the data migration."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from certificates.models import Certificate, CertificateDesign, Signatory
from participants.models import Agency, AgencyType, Gender, Participant, Region
from participants.normalize import fold
from trainings.models import Attendance, Course, Enrolment, Session, TrainingDay


def gender(code: str) -> Gender:
    return Gender.objects.get(code=code)


def agency_type(name: str) -> AgencyType:
    return AgencyType.objects.get(name_key=fold(name))


def region(name: str) -> Region:
    return Region.objects.get(name_key=fold(name))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Agency {n}")
    type = factory.LazyFunction(lambda: agency_type("Ministry"))


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    last_name = factory.Sequence(lambda n: f"Lastname{n}")
    first_name = factory.Sequence(lambda n: f"Firstname{n}")
    gender = factory.LazyFunction(lambda: gender("female"))
    birth_year = 1985
    agency = factory.SubFactory(AgencyFactory)
    region = factory.LazyFunction(lambda: region("Chui"))
    email = factory.LazyAttribute(lambda p: f"{p.first_name}.{p.last_name}@example.org".lower())


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n}")
    title = factory.LazyAttribute(lambda c: f"Course {c.code}")
    thematic_area = "Human rights"


class SessionFactory(factory.django.DjangoModelFactory):
    """A session with one training day per calendar day from start to end."""

    class Meta:
        model = Session
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"S{n:03d}")
    course = factory.SubFactory(CourseFactory)
    start_date = dt.date(2025, 3, 10)
    end_date = factory.LazyAttribute(lambda s: s.start_date + dt.timedelta(days=2))
    region = factory.LazyFunction(lambda: region("Bishkek city"))
    venue = "Hotel Jannat, Bishkek"
    language = "ru"
    status = Session.Status.COMPLETED
    max_score = Decimal(100)
    pass_mark = factory.LazyAttribute(lambda s: s.course.pass_mark)
    min_attendance = factory.LazyAttribute(lambda s: s.course.min_attendance)

    @factory.post_generation
    def days(self, create, extracted, **kwargs):
        if not create:
            return
        dates = extracted
        if dates is None:
            n = (self.end_date - self.start_date).days + 1
            dates = [self.start_date + dt.timedelta(days=i) for i in range(n)]
        TrainingDay.objects.bulk_create(TrainingDay(session=self, date=d) for d in dates)


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    session = factory.SubFactory(SessionFactory)
    participant = factory.SubFactory(ParticipantFactory)
    status = Enrolment.Status.CONFIRMED


def attend(enrolment: Enrolment, present_days: int) -> None:
    """Mark the first ``present_days`` days of the enrolment's session present, the rest absent."""
    days = list(enrolment.session.days.order_by("date"))
    Attendance.objects.bulk_create(
        Attendance(enrolment=enrolment, day=day, present=i < present_days)
        for i, day in enumerate(days)
    )


class CertificateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certificate

    enrolment = factory.SubFactory(EnrolmentFactory)
    number = factory.Sequence(lambda n: f"CERT-{n:03d}")
    code = factory.Sequence(lambda n: f"CODE{n:012d}")
    issued_on = factory.LazyFunction(lambda: timezone.localdate())


class CertificateDesignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CertificateDesign

    name = factory.Sequence(lambda n: f"Design {n}")
    issuer = "Office of the Ombudsman of the Kyrgyz Republic"
    issuer_ru = "Аппарат Омбудсмена Кыргызской Республики"
    issuer_ky = "Кыргыз Республикасынын Акыйкатчысынын аппараты"


class SignatoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Signatory

    design = factory.SubFactory(CertificateDesignFactory)
    name = factory.Sequence(lambda n: f"Signatory {n}")
    title = "Head of the Training Department"
    order = factory.Sequence(lambda n: n)


def user_in(role: str | None, **kwargs):
    """A user in the role's group (``None``: a user without a role)."""
    from django.contrib.auth.models import Group

    user = UserFactory(**kwargs)
    if role is not None:
        user.groups.add(Group.objects.get(name=role))
    return user


def signed_in(client, role: str | None, **kwargs):
    """Sign the test client in as a new user in the role; return the user."""
    user = user_in(role, **kwargs)
    client.force_login(user)
    return user
