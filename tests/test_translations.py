"""The Spanish catalogue: complete, consistent with its English source, and actually used.

Nothing is compiled here: `make test` (and `make run`) compile locale/es with `make messages` first.
A string left untranslated or marked fuzzy shows up in English to people who work in Spanish, and
Django ignores fuzzy entries, so this file fails on either. A placeholder lost in translation would
raise at run time (`%(clinic)s` missing from the Spanish), so placeholders must match too.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext, pgettext

from tests.kit import client_for

PO_FILE = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


@dataclass
class Entry:
    line: int
    flags: set = field(default_factory=set)
    fields: dict = field(default_factory=dict)  # "msgctxt", "msgid", "msgid_plural", "msgstr", "msgstr[0]"...

    @property
    def msgid(self):
        return self.fields.get("msgid", "")

    @property
    def translations(self):
        return {k: v for k, v in self.fields.items() if k.startswith("msgstr")}


ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(text):
    return re.sub(r'\\(.)', lambda m: ESCAPES.get(m.group(1), m.group(0)), text[1:-1])


def parse_po(path):
    """The entries of a .po file; a few lines of gettext's format are all this file needs."""
    entries, current, key = [], None, None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            current, key = None, None
            continue
        if line.startswith("#~"):  # obsolete: not used by Django
            continue
        if current is None:
            current = Entry(line=number)
            entries.append(current)
        if line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current.fields[key] += _unquote(line)
        else:
            key, _space, value = line.partition(" ")
            current.fields[key] = _unquote(value)
    return [entry for entry in entries if entry.fields]


@pytest.fixture(scope="module")
def entries():
    return parse_po(PO_FILE)


def test_catalogue_has_every_string_translated(entries):
    messages = [e for e in entries if e.msgid]
    untranslated = [f"line {e.line}: {e.msgid!r}" for e in messages if not all(e.translations.values())]

    assert len(messages) > 300
    assert untranslated == []


def test_catalogue_has_no_fuzzy_entry(entries):
    fuzzy = [f"line {e.line}: {e.msgid or 'header'!r}" for e in entries if "fuzzy" in e.flags]

    assert fuzzy == []


def test_catalogue_keeps_every_placeholder(entries):
    wrong = []
    for e in entries:
        if not e.msgid:
            continue
        expected = sorted(PLACEHOLDER.findall(e.fields.get("msgid_plural", e.msgid)))
        for key, text in e.translations.items():
            # The singular of a plural may leave out its number ("un día"), never a named value.
            found = sorted(PLACEHOLDER.findall(text))
            if found != expected and not (key == "msgstr[0]" and set(found) <= set(expected)):
                wrong.append(f"line {e.line}: {e.msgid!r} -> {text!r}")

    assert wrong == []


def test_catalogue_declares_two_plural_forms(entries):
    header = next(e for e in entries if not e.msgid)

    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header.translations["msgstr"]
    assert all(set(e.translations) == {"msgstr[0]", "msgstr[1]"} for e in entries if "msgid_plural" in e.fields)


def test_compiled_catalogue_is_not_older_than_its_source():
    assert MO_FILE.exists(), "locale/es is not compiled: run `make messages`"
    assert MO_FILE.stat().st_mtime >= PO_FILE.stat().st_mtime, "django.mo is stale: run `make messages`"


@pytest.mark.parametrize(
    "english, spanish",
    [
        ("Clinics", "Clínicas"),
        ("Log out", "Cerrar sesión"),
        ("Coverage in the next 12 months", "Cobertura en los próximos 12 meses"),
        ("Cohorts", "Promociones"),
        ("Maternal waiting home", "Casa Materna"),
        ("Community health worker", "Acompañante comunitaria"),
        ("The clinic already has a pasante during those dates.", "La clínica ya tiene pasante en esas fechas."),
        ("Write a real date as dd/mm/yyyy, for example 15/03/2026.",
         "Escribe una fecha válida como dd/mm/aaaa, por ejemplo 15/03/2026."),
    ],
)
def test_key_strings_come_out_in_spanish(english, spanish):
    with translation.override("es"):
        assert gettext(english) == spanish
    with translation.override("en"):
        assert gettext(english) == english


def test_end_the_action_and_end_the_date_read_differently_in_spanish():
    with translation.override("es"):
        assert pgettext("end an assignment", "End") == "Terminar"
        assert gettext("End") == "Fin"


def test_plurals_follow_the_number_in_spanish():
    singular, plural = "and %(n)s more clinic", "and %(n)s more clinics"

    with translation.override("es"):
        assert ngettext(singular, plural, 1) % {"n": 1} == "y 1 clínica más"
        assert ngettext(singular, plural, 3) % {"n": 3} == "y 3 clínicas más"


def test_service_message_with_values_is_spanish_with_the_values_in_place():
    with translation.override("es"):
        text = gettext("%(clinic)s will have no pasante from %(date)s") % {"clinic": "Clínica Reforma",
                                                                           "date": "01/02/2027"}

    assert text == "Clínica Reforma se queda sin pasante a partir del 01/02/2027"


def test_coordinator_reads_the_clinic_list_in_spanish(coordinator):
    content = client_for(coordinator, language="es").get(reverse("clinics:clinic-list")).content.decode()

    assert '<html lang="es">' in content
    assert "<h1>Clínicas</h1>" in content
    assert "Cerrar sesión" in content
    assert "Log out" not in content


# One voice: CES speaks to everyone as "tú", in Mexican Spanish (docs/decisions/0011-spanish-voice-tu.md).
# Words and phrases that only "usted" uses; a new string written in "usted" fails here.
USTED_FORMS = re.compile(
    r"\b(?:usted|ustedes|ud\.|su (?:cuenta|contraseña|correo|dirección|sesión)|sus datos"
    r"|ingrese|escriba|elija|revise|intente|inténtelo|seleccione|indique|introduzca|verifique"
    r"|confirme|regístrese|inicie|pida|vuelva|espere|consulte|contacte|póngase|haga clic|asegúrese|escoja"
    r"|compruebe|corrija|envíe"
    r"|ha iniciado|ha cerrado|ha olvidado|olvidó su|debe escribir|le enviamos|recibirá)\b",
    re.IGNORECASE,
)


def test_catalogue_addresses_everyone_as_tu(entries):
    usted = [
        f"line {e.line}: {text!r}"
        for e in entries if e.msgid
        for text in e.translations.values() if USTED_FORMS.search(text)
    ]

    assert usted == []


@pytest.mark.parametrize("text", [
    "Ha iniciado sesión como ana@ces.mx.", "Por favor, escriba su contraseña actual.", "¿Olvidó su contraseña?",
    "Inténtelo más tarde.", "Regístrese primero.", "Seleccione una clínica.",
])
def test_usted_forms_are_recognised(text):
    assert USTED_FORMS.search(text)


@pytest.mark.parametrize("text", [
    "Iniciaste sesión como ana@ces.mx.", "Escribe tu contraseña actual.", "¿Olvidaste tu contraseña?",
    "Inténtalo más tarde.", "La clínica contó 3 en su solicitud de marzo.", "Elige una clínica.",
])
def test_tu_forms_and_third_person_pass(text):
    assert not USTED_FORMS.search(text)


def test_djangos_own_form_messages_speak_as_tu():
    from django import forms

    class Form(forms.Form):
        number = forms.IntegerField(max_value=5)
        choice = forms.ChoiceField(choices=[("a", "A")])
        code = forms.CharField(max_length=2)

    with translation.override("es"):
        form = Form({"number": "9", "choice": "z", "code": "abc"})
        errors = {name: list(messages) for name, messages in form.errors.items()}

    assert errors == {
        "number": ["El valor debe ser menor o igual a 5."],
        "choice": ["Elige una opción válida. z no es una de las opciones disponibles."],
        "code": ["Escribe como máximo 2 caracteres (tiene 3)."],
    }


JINJA_STRING = re.compile(r'_\("((?:[^"\\]|\\.)*)"\)')


def test_the_jinja_partials_strings_are_found_by_makemessages_and_translated(entries):
    """The few Jinja2 partials (ces.core.jinja) translate with ``{{ _("...") }}``; makemessages reads them as
    Django templates (templatize), so a string written any other way there would never reach the catalogue."""
    from django.utils.translation.template import templatize

    partials = [path for app in ("ces", "clinics", "pharmacy", "visitors", "curriculum", "chw", "referrals")
                for path in (Path(settings.BASE_DIR) / app).glob("**/jinja2/**/*.html")]
    assert partials, "no Jinja2 partial found"
    translated = {entry.msgid for entry in entries if entry.fields.get("msgstr")}
    for path in partials:
        source = path.read_text(encoding="utf-8")
        written, extracted = JINJA_STRING.findall(source), JINJA_STRING.findall(templatize(source))
        assert written and sorted(written) == sorted(extracted), path
        assert not set(written) - translated, (path, set(written) - translated)
        assert "{% trans" not in source and "gettext(" not in source, path  # only _() reaches the catalogue


def test_drfs_own_answers_speak_as_tu():
    from rest_framework import exceptions, serializers

    with translation.override("es"):
        refused = str(exceptions.PermissionDenied().detail)
        field = serializers.IntegerField()
        try:
            field.run_validation("tres")
        except serializers.ValidationError as exc:
            not_a_number = str(exc.detail[0])
    assert refused == "No tienes permiso para hacer esto."
    assert not_a_number == "Escribe un número entero."
