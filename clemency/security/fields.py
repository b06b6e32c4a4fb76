"""Encrypted model fields (DESIGN.md §5, §8).

A value is stored as ``version | key version | nonce | ciphertext+tag`` (envelope.py) in a binary
column, bound to ``app.Model.field``, the row's UUID and its case's UUID. The model says which case
a row belongs to::

    class Applicant(models.Model):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        legal_name = EncryptedTextField()

        def encryption_case(self):
            return self.case

Values are read from the database as ``Sealed`` ciphertext and decrypted only when the attribute
is read, with the case key (casekeys.case_key). Any failure raises: a value never comes back as
ciphertext, or as None, in place of the real one. Only ``isnull`` lookups exist: the database
cannot compare what it cannot read. No pickle: text, dates and JSON have explicit encodings.
"""

import base64
import binascii
import json
from datetime import date
from typing import Any

from django.core.exceptions import FieldError, ValidationError
from django.db import models
from django.db.models.lookups import Exact
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from clemency.security.casekeys import case_key
from clemency.security.envelope import decrypt_value, encrypt_value


class Sealed:
    """Ciphertext loaded from the database and not decrypted yet."""

    __slots__ = ("blob",)

    def __init__(self, blob: bytes) -> None:
        self.blob = blob

    def __repr__(self) -> str:
        return "<Sealed>"


def _context(instance) -> tuple[Any, Any]:
    case = instance.encryption_case()
    if instance.pk is None or case is None or case.pk is None:
        raise ValueError("An encrypted value needs its row and case to have UUIDs first.")
    return case, case.pk


class NullOnlyExact(Exact):
    """``field=None`` works (Django turns it into ``isnull``); any other comparison is refused."""

    def __init__(self, lhs, rhs) -> None:
        if rhs is not None:
            raise FieldError("Encrypted fields can only be compared with None.")
        super().__init__(lhs, rhs)


_RAW_SAVING = "_encrypted_raw_saving"


@receiver(pre_save)
def _raw_save_starts(sender, instance, raw, **kwargs) -> None:
    # loaddata and deserialisation save with raw=True (through Model.save_base itself, so no
    # override would see it): the values are already ciphertext and must be stored as they are.
    if raw and isinstance(instance, EncryptedModel):
        instance.__dict__[_RAW_SAVING] = True


@receiver(post_save)
def _raw_save_ends(sender, instance, raw, **kwargs) -> None:
    if raw:
        instance.__dict__.pop(_RAW_SAVING, None)


class EncryptedAttribute(DeferredAttribute):
    """A data descriptor (unlike DeferredAttribute), so that every read passes through here."""

    def __set__(self, instance, value) -> None:
        instance.__dict__[self.field.attname] = value

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if not isinstance(value, Sealed) or instance.__dict__.get(_RAW_SAVING):
            return value
        cache_name = f"_{self.field.attname}_plaintext"
        cached = instance.__dict__.get(cache_name)
        if cached is not None and cached[0] is value:
            return cached[1]
        plaintext = self.field.decrypt(instance, value)
        instance.__dict__[cache_name] = (value, plaintext)
        return plaintext


class EncryptedModel(models.Model):
    """Base for models with encrypted fields.

    - Saves with ``raw=True`` (loaddata, deserialisation) store the ciphertext as it is.
    - Pickling and deep copies carry ciphertext only: decrypted values cached on the instance
      are dropped, and an instance holding plaintext not yet saved refuses to be pickled.
    """

    class Meta:
        abstract = True

    def __getstate__(self):
        state = super().__getstate__()
        for field in self._meta.concrete_fields:
            if isinstance(field, EncryptedField):
                state.pop(f"_{field.attname}_plaintext", None)
                value = state.get(field.attname)
                if value is not None and not isinstance(value, Sealed):
                    raise TypeError(
                        f"{field.label} holds a value not saved yet: save before pickling."
                    )
        return state


class EncryptedField(models.BinaryField):
    descriptor_class = EncryptedAttribute
    python_type: type = object

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("blank", kwargs.get("null", False))
        super().__init__(*args, **kwargs)

    @property
    def label(self) -> str:
        return f"{self.model._meta.app_label}.{self.model.__name__}.{self.name}"

    # Encoding of plaintext values to bytes and back: explicit, never pickle.
    def encode(self, value: Any) -> bytes:
        raise NotImplementedError

    def decode(self, data: bytes) -> Any:
        raise NotImplementedError

    def encrypt(self, instance, value: Any) -> bytes:
        case, case_id = _context(instance)
        key = case_key(case)
        return encrypt_value(
            self.encode(value),
            key=key.field_key,
            key_version=key.version,
            label=self.label,
            row_id=instance.pk,
            case_id=case_id,
        )

    def decrypt(self, instance, sealed: Sealed) -> Any:
        case, case_id = _context(instance)
        key = case_key(case)
        data = decrypt_value(
            sealed.blob,
            key=key.field_key,
            key_version=key.version,
            label=self.label,
            row_id=instance.pk,
            case_id=case_id,
        )
        return self.decode(data)

    def raw_value(self, instance):
        """What the instance holds without decrypting: None, Sealed or a plaintext value."""
        return instance.__dict__.get(self.attname)

    def sealed_value(self, instance) -> Sealed | None:
        """The value as ciphertext: as loaded, or encrypted now if it was set in plaintext."""
        value = self.raw_value(instance)
        if value is None or isinstance(value, Sealed):
            return value
        sealed = Sealed(self.encrypt(instance, value))
        # From now on the instance holds the ciphertext (plaintext kept as the decrypted cache),
        # so saving again writes the same bytes.
        instance.__dict__[self.attname] = sealed
        instance.__dict__[f"_{self.attname}_plaintext"] = (sealed, value)
        return sealed

    def pre_save(self, model_instance, add):
        return self.sealed_value(model_instance)

    def get_db_prep_value(self, value, connection, prepared=False):
        # Only ciphertext made by this field (through Model.save) reaches the database: a
        # QuerySet.update() or bulk_update() with plaintext, bytes or an expression is refused.
        if value is None:
            return None
        if not isinstance(value, Sealed):
            raise TypeError("Encrypted fields are written through Model.save(), not queries.")
        return super().get_db_prep_value(value.blob, connection, prepared)

    def get_placeholder_sql(self, value, compiler, connection):
        if hasattr(value, "as_sql") or hasattr(value, "resolve_expression"):
            raise TypeError("Encrypted fields cannot be set from SQL expressions.")
        return super().get_placeholder_sql(value, compiler, connection)

    def from_db_value(self, value, expression, connection):
        return None if value is None else Sealed(bytes(value))

    def to_python(self, value):
        # Only deserialisation (loaddata) comes here: ``clean`` below never calls it, so text a
        # person typed is never taken for ciphertext.
        if isinstance(value, str) and value.startswith("sealed:"):
            try:
                return Sealed(base64.b64decode(value.removeprefix("sealed:"), validate=True))
            except binascii.Error:
                raise ValidationError(_("Enter a valid value."), code="invalid") from None
        return value

    def clean(self, value, model_instance):
        self.validate(value, model_instance)
        self.run_validators(value)
        return value

    def value_from_object(self, obj):
        # Ciphertext, so that serialisers and the like never see the plaintext.
        return self.sealed_value(obj)

    def value_to_string(self, obj) -> str | None:
        sealed = self.sealed_value(obj)
        return None if sealed is None else "sealed:" + base64.b64encode(sealed.blob).decode("ascii")

    def validate(self, value, model_instance) -> None:
        if value is not None and not isinstance(value, Sealed | self.python_type):
            raise ValidationError(
                _("Enter a valid value."), code="invalid", params={"value": type(value).__name__}
            )
        super().validate(value, model_instance)

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return NullOnlyExact
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None

    def get_transform(self, lookup_name):
        return None

    def formfield(self, **kwargs):
        return None


class EncryptedTextField(EncryptedField):
    python_type = str

    def encode(self, value: str) -> bytes:
        if not isinstance(value, str):
            raise TypeError(f"{self.label} holds text.")
        return value.encode("utf-8")

    def decode(self, data: bytes) -> str:
        return data.decode("utf-8")


class EncryptedDateField(EncryptedField):
    python_type = date

    def encode(self, value: date) -> bytes:
        if not isinstance(value, date):
            raise TypeError(f"{self.label} holds a date.")
        return value.isoformat().encode("ascii")

    def decode(self, data: bytes) -> date:
        return date.fromisoformat(data.decode("ascii"))


class EncryptedJSONField(EncryptedField):
    python_type = dict | list | str | int | float | bool

    def encode(self, value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def decode(self, data: bytes) -> Any:
        return json.loads(data)
