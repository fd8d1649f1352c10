"""Forms of the partner dashboard: shortlists and the partner's own weights."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import BadRequest, ValidationError

from partners.access import Access
from partners.choices import ENTRY_NOTE_MAX_LENGTH, EntryStatus
from partners.models import DEFAULT_WEIGHTS, AlertSettings, Shortlist
from partners.shortlists import note_clean
from scoring.catalogue import FIELDS_BY_NAME
from scoring.choices import INDEX_NAMES

SLIDER_STEPS = 100  # weights are chosen as whole percentages 0..100 and stored as 0..1


# A primary key as the database can hold it (bigint): larger numbers can name no row.
_ID_FIELD = forms.IntegerField(min_value=1, max_value=2**63 - 1)


def posted_id(value: str, name: str) -> int:
    """The id posted as ``name``, or a 400 (``BadRequest``, the branded page) when it is not a whole number that
    an id can be (``"²"``, ``"abc"``, ``""``, a 40-digit number)."""
    try:
        return _ID_FIELD.clean(value)
    except ValidationError as exc:
        raise BadRequest(f"{name}: {' '.join(exc.messages)}") from exc


class AuditFilterForm(forms.Form):
    """The partner audit trail's filters (``?action=&outcome=&user=``), each optional."""

    action = forms.CharField(required=False, max_length=64)
    outcome = forms.CharField(required=False, max_length=16)
    user = forms.CharField(required=False, max_length=150)


class ShortlistCreateForm(forms.Form):
    name = forms.CharField(label="New shortlist name", max_length=120)

    def __init__(self, *args: Any, partner: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.partner = partner

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the shortlist a name.")
        if Shortlist.objects.filter(partner=self.partner, name__iexact=name).exists():
            raise forms.ValidationError("Your organisation already has a shortlist with this name.")
        return name


def _note_field() -> forms.CharField:
    return forms.CharField(
        label="Note", required=False, max_length=ENTRY_NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )


def _status_field(*, required: bool) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label="Status", choices=EntryStatus.choices, required=required, empty_value=None
    )


class ShortlistAddForm(forms.Form):
    """Add creators (one from a scorecard, many from the list or compare) to a shortlist of the partner, or to a
    new one, with a first status and note. The handles are read by the view (``partners.shortlists``)."""

    shortlist = forms.TypedChoiceField(label="Shortlist", coerce=int, required=False, empty_value=None)
    new_name = forms.CharField(label="or a new shortlist", max_length=120, required=False)
    status = _status_field(required=False)
    note = _note_field()

    def __init__(self, *args: Any, partner: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.partner = partner
        shortlist = self.fields["shortlist"]
        assert isinstance(shortlist, forms.ChoiceField)
        shortlist.choices = [("", "—")] + [
            (str(pk), name) for pk, name in Shortlist.objects.filter(partner=partner).values_list("pk", "name")
        ]

    def clean_note(self) -> str:
        return note_clean(self.cleaned_data["note"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("shortlist") and not (cleaned.get("new_name") or "").strip():
            raise forms.ValidationError("Choose a shortlist or name a new one.")
        return cleaned


class EntryEditForm(forms.Form):
    """The in-place edit of one entry: its status and its note (either may be left out of the post)."""

    status = _status_field(required=False)
    note = _note_field()

    def clean_note(self) -> str:
        return note_clean(self.cleaned_data["note"])


class EntryListForm(forms.Form):
    """The shortlist page's ``?status=`` filter and ``?ordering=`` (one key, ``-`` for descending), the sort keys
    limited to the columns the partner can see."""

    status = forms.ChoiceField(choices=[("", "All"), *EntryStatus.choices], required=False)
    ordering = forms.ChoiceField(required=False)

    def __init__(self, *args: Any, sort_keys: Sequence[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ordering = self.fields["ordering"]
        assert isinstance(ordering, forms.ChoiceField)
        ordering.choices = [("", "Newest first")] + [
            (f"{sign}{key}", key) for key in sort_keys for sign in ("", "-")
        ]


class PartnerWeightsForm(forms.Form):
    """The partner's own weights, one slider per *visible* index (0-100 %, at least one above zero).

    Hidden indices get no field at all: a posted value for them is not even read, so they cannot be set.
    """

    def __init__(self, *args: Any, access: Access, initial_weights: dict[str, float] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.visible_indices = [name for name in INDEX_NAMES if name in access.visible_field_names]
        weights = initial_weights or DEFAULT_WEIGHTS
        for name in self.visible_indices:
            self.fields[name] = forms.IntegerField(
                label=FIELDS_BY_NAME[name].label,
                min_value=0,
                max_value=SLIDER_STEPS,
                initial=round(weights.get(name, DEFAULT_WEIGHTS[name]) * SLIDER_STEPS),
                help_text=FIELDS_BY_NAME[name].help,
                widget=forms.NumberInput(attrs={"type": "range", "step": 1, "min": 0, "max": SLIDER_STEPS}),
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        values = [cleaned.get(name) for name in self.visible_indices]
        if all(value is not None for value in values) and sum(value or 0 for value in values) == 0:
            raise forms.ValidationError("At least one index needs a weight above zero.")
        return cleaned

    def weights(self) -> dict[str, float]:
        """The submitted weights of the visible indices, as stored (0..1)."""
        return {name: self.cleaned_data[name] / SLIDER_STEPS for name in self.visible_indices}


class AlertSettingsForm(forms.ModelForm):
    """The user's alert settings: the move in points worth an alert, and whether the digest is emailed."""

    class Meta:
        model = AlertSettings
        fields = ["threshold", "email_digest"]
        labels = {
            "threshold": "Alert me when an index moves by at least (points)",
            "email_digest": "Email me the digest",
        }
        help_texts = {
            "threshold": "On the 0–100 scale of the indices, between two published runs.",
            "email_digest": "Off: the alerts are shown here only.",
        }
        widgets = {"threshold": forms.NumberInput(attrs={"min": 1, "max": 100, "step": 1, "inputmode": "numeric"})}

    def __init__(self, *args: Any, has_email: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Without an email address there is nothing to send to: the choice is shown, greyed out and kept as it was
        # (a disabled field takes its stored value, whatever a request sends).
        self.fields["email_digest"].disabled = not has_email
