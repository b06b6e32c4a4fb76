import factory
from django.contrib.auth.models import Group
from factory.django import DjangoModelFactory

from clemency.accounts.models import User
from clemency.accounts.roles import Role

PASSWORD = "correct horse battery staple"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def role(self, create: bool, extracted: Role | None, **kwargs) -> None:
        if create and extracted:
            self.groups.add(Group.objects.get(name=Role(extracted).value))


class CaseFactory(DjangoModelFactory):
    class Meta:
        model = "cases.Case"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from clemency.security.casekeys import issue_case_key

        case = model_class(*args, **kwargs)
        issue_case_key(case)
        case.save()
        return case


class ApplicantFactory(DjangoModelFactory):
    class Meta:
        model = "cases.Applicant"

    case = factory.SubFactory(CaseFactory)
    legal_name = factory.Faker("name")
    other_names = factory.LazyFunction(list)
    date_of_birth = factory.Faker("date_of_birth", minimum_age=18, maximum_age=80)
    a_number = factory.Faker("numerify", text="A#########")
    story = factory.Faker("paragraph")
