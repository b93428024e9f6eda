from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from pharmacy.catalogue import MAX_BYTES, catalogue_import
from pharmacy.models import Item
from pharmacy.tests.factories import ItemFactory
from tests.kit import log_in

pytestmark = pytest.mark.django_db

SHIPPED = Path(__file__).resolve().parent.parent / "data" / "essential_medicines.csv"
SPANISH_HEADER = "clave;nombre;forma;concentración;unidad;categoría;controlado;meses_maximos"
ENGLISH_HEADER = "code,name,form,strength,unit,category,controlled,max_months_of_stock"
PARACETAMOL = "010.000.0104.00;Paracetamol;tableta;500 mg;tableta;Analgésicos;no;3"
DIAZEPAM = "010.000.3215.00;Diazepam;tableta;10 mg;tableta;Salud mental;sí;2"


def csv_bytes(*lines, encoding="utf-8"):
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def rejected(report):
    return {row.line: row.reasons for row in report.rejected}


# --- What gets imported -----------------------------------------------------------------------------


def test_it_creates_items_from_a_spanish_semicolon_file_saved_by_excel_with_a_bom():
    data = b"\xef\xbb\xbf" + csv_bytes(SPANISH_HEADER, PARACETAMOL, DIAZEPAM)

    report = catalogue_import(data=data)

    assert (report.created, report.updated, report.rejected) == (2, 0, [])
    diazepam = Item.objects.get(code="010.000.3215.00")
    assert (diazepam.name, diazepam.form, diazepam.strength, diazepam.unit, diazepam.category) == (
        "Diazepam", "tableta", "10 mg", "tableta", "Salud mental")
    assert diazepam.controlled is True
    assert diazepam.max_months_of_stock == 2
    assert diazepam.warehouse_minimum == 0
    assert Item.objects.get(code="010.000.0104.00").controlled is False


def test_it_reads_an_english_comma_file():
    data = csv_bytes(ENGLISH_HEADER, 'MED-1,Amoxicillin,capsule,500 mg,capsule,"Antibiotics, oral",yes,3')

    report = catalogue_import(data=data)

    assert report.created == 1
    item = Item.objects.get(code="MED-1")
    assert item.category == "Antibiotics, oral"
    assert item.controlled is True


def test_it_reads_a_windows_1252_file_as_excel_writes_it_in_mexico():
    data = csv_bytes(SPANISH_HEADER, "010.000.1711.00;Ácido fólico;tableta;0.4 mg;tableta;Salud materna;sí;3",
                     encoding="cp1252")
    assert "Á".encode("cp1252") in data

    catalogue_import(data=data)

    item = Item.objects.get(code="010.000.1711.00")
    assert item.name == "Ácido fólico"
    assert item.controlled is True


def test_header_names_ignore_case_accents_and_spaces():
    header = "Clave;Nombre;Forma;Concentracion;Unidad;CATEGORÍA;Controlado;Meses máximos;Mínimo almacén"
    report = catalogue_import(data=csv_bytes(header, PARACETAMOL + ";3300"))

    assert report.created == 1
    assert Item.objects.get().warehouse_minimum == 3300


@pytest.mark.parametrize("value", ["sí", "Si", "SÍ", "yes", "true", "1", "VERDADERO"])
def test_yes_values_mark_an_item_controlled(value):
    catalogue_import(data=csv_bytes(SPANISH_HEADER, f"T-1;Tramadol;ampolleta;100 mg;ampolleta;Analgésicos;{value};2"))
    assert Item.objects.get().controlled is True


@pytest.mark.parametrize("value", ["no", "NO", "false", "0", "FALSO"])
def test_no_values_leave_an_item_uncontrolled(value):
    catalogue_import(data=csv_bytes(SPANISH_HEADER, f"T-1;Tramadol;ampolleta;100 mg;ampolleta;Analgésicos;{value};2"))
    assert Item.objects.get().controlled is False


def test_importing_the_same_file_twice_updates_instead_of_duplicating():
    data = csv_bytes(SPANISH_HEADER, PARACETAMOL, DIAZEPAM)
    catalogue_import(data=data)

    report = catalogue_import(data=data)

    assert (report.created, report.updated, report.rejected) == (0, 2, [])
    assert Item.objects.count() == 2


def test_a_known_code_updates_the_item_and_keeps_what_the_file_does_not_name():
    item = ItemFactory(code="010.000.0104.00", name="Paracetamol viejo", max_months_of_stock=6, warehouse_minimum=500)

    report = catalogue_import(data=csv_bytes(SPANISH_HEADER, PARACETAMOL))

    assert (report.created, report.updated) == (0, 1)
    item.refresh_from_db()
    assert (item.name, item.max_months_of_stock, item.category) == ("Paracetamol", 3, "Analgésicos")
    assert item.warehouse_minimum == 500  # no minimo_almacen column: unchanged


def test_blank_lines_are_skipped_and_line_numbers_stay_those_of_the_file():
    data = csv_bytes(SPANISH_HEADER, PARACETAMOL, "", ";;;;;;;", "X-1;Sin unidad;tableta;1 mg;;Varios;no;3")

    report = catalogue_import(data=data)

    assert report.created == 1
    assert list(rejected(report)) == [5]


def test_empty_cells_after_the_last_column_are_ignored():
    report = catalogue_import(data=csv_bytes(SPANISH_HEADER, PARACETAMOL + ";;"))
    assert (report.created, report.rejected) == (1, [])


def test_the_shipped_essential_medicines_catalogue_imports_cleanly():
    report = catalogue_import(data=SHIPPED.read_bytes())

    assert report.rejected == []
    assert 40 <= report.created <= 60
    controlled = set(Item.objects.filter(controlled=True).values_list("name", flat=True))
    assert {"Diazepam", "Clonazepam", "Tramadol"} <= controlled
    assert not Item.objects.get(code="010.000.1050.00").controlled  # insulin NPH
    assert not Item.objects.filter(warehouse_minimum=0).exists()


# --- Rows rejected, with every reason -------------------------------------------------------------


@pytest.mark.parametrize(("row", "reason"), [
    (";Sin clave;tableta;1 mg;tableta;Varios;no;3", "Code is missing."),
    ("X-1;;tableta;1 mg;tableta;Varios;no;3", "Name is missing."),
    ("X-1;Sin unidad;tableta;1 mg;;Varios;no;3", "Unit is missing."),
    ("X-1;Sin controlado;tableta;1 mg;tableta;Varios;;3", "Controlled is missing."),
    ("X-1;Sin meses;tableta;1 mg;tableta;Varios;no;", "Maximum months of stock is missing."),
    ("X-1;Tal vez;tableta;1 mg;tableta;Varios;tal vez;3", "Controlled must be “sí” or “no” (found “tal vez”)."),
    ("X-1;Cero meses;tableta;1 mg;tableta;Varios;no;0",
     "Maximum months of stock must be a whole number, 1 or more (found “0”)."),
    ("X-1;Meses en letra;tableta;1 mg;tableta;Varios;no;tres",
     "Maximum months of stock must be a whole number, 1 or more (found “tres”)."),
    ("X-1;Medio mes;tableta;1 mg;tableta;Varios;no;2.5",
     "Maximum months of stock must be a whole number, 1 or more (found “2.5”)."),
    ("X-1;Demasiados meses;tableta;1 mg;tableta;Varios;no;99999",
     "Maximum months of stock: Ensure this value is less than or equal to 32767."),
    ("X-1;Celdas de más;tableta;1 mg;tableta;Varios;no;3;nota",
     "The row has more cells than the first row has column names."),
    ("X-" + "1" * 30 + ";Clave larga;tableta;1 mg;tableta;Varios;no;3",
     "Code: Ensure this value has at most 30 characters (it has 32)."),
    ("X-1;" + "N" * 201 + ";tableta;1 mg;tableta;Varios;no;3",
     "Name: Ensure this value has at most 200 characters (it has 201)."),
])
def test_a_bad_row_is_rejected_with_its_line_and_reason_and_the_good_rows_are_imported(row, reason):
    report = catalogue_import(data=csv_bytes(SPANISH_HEADER, PARACETAMOL, row))

    assert report.created == 1
    assert Item.objects.get().code == "010.000.0104.00"
    assert rejected(report) == {3: [reason]}


def test_a_negative_warehouse_minimum_is_rejected():
    header = SPANISH_HEADER + ";minimo_almacen"
    report = catalogue_import(data=csv_bytes(header, PARACETAMOL + ";100", DIAZEPAM + ";-5"))

    assert report.created == 1
    assert rejected(report) == {3: ["The warehouse minimum must be a whole number, 0 or more (found “-5”)."]}


def test_a_code_repeated_in_the_file_is_rejected_after_its_first_line():
    report = catalogue_import(data=csv_bytes(SPANISH_HEADER, PARACETAMOL, DIAZEPAM, PARACETAMOL.replace("500", "750")))

    assert report.created == 2
    assert Item.objects.get(code="010.000.0104.00").strength == "500 mg"
    assert rejected(report) == {4: ["The code 010.000.0104.00 is already on line 2 of the file."]}


def test_a_row_with_several_problems_lists_every_reason():
    report = catalogue_import(data=csv_bytes(SPANISH_HEADER, "X-1;;tableta;1 mg;;Varios;quizá;-1"))

    assert report.created == 0
    assert rejected(report) == {2: [
        "Name is missing.",
        "Unit is missing.",
        "Controlled must be “sí” or “no” (found “quizá”).",
        "Maximum months of stock must be a whole number, 1 or more (found “-1”).",
    ]}
    assert report.rejected[0].key == "X-1"


def test_a_rejected_row_leaves_the_item_on_file_unchanged():
    item = ItemFactory(code="010.000.0104.00", name="Paracetamol", max_months_of_stock=3)

    report = catalogue_import(data=csv_bytes(SPANISH_HEADER, PARACETAMOL.replace(";3", ";0")))

    assert report.updated == 0
    item.refresh_from_db()
    assert item.max_months_of_stock == 3


# --- Files refused whole: a clear message, nothing written ---------------------------------------


@pytest.mark.parametrize(("data", "message"), [
    (b"", "The file is empty."),
    (b"\xef\xbb\xbf \r\n\r\n", "The file is empty."),
    (csv_bytes(SPANISH_HEADER), "The file has column names but no rows to import."),
    (csv_bytes("clave;nombre;unidad", "X-1;Algo;pieza"),
     "Missing: forma (form), concentración (strength), categoría (category), controlado (controlled), "
     "meses_maximos (max_months_of_stock)."),
    (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40, "This is an Excel workbook, not a CSV file."),
    (b"%PDF-1.7\n\x00\x01\x02binary", "This file is not a CSV file."),
    (b"x" * (MAX_BYTES + 1), "The file is too large (2.0 MB); the limit is 2 MB."),
])
def test_a_file_that_is_not_a_catalogue_is_refused_whole_and_nothing_is_written(data, message):
    ItemFactory(code="010.000.0104.00", name="Paracetamol viejo")

    with pytest.raises(ValidationError) as caught:
        catalogue_import(data=data)

    assert message in " ".join(caught.value.messages)
    assert list(Item.objects.values_list("code", "name")) == [("010.000.0104.00", "Paracetamol viejo")]


# --- The management command --------------------------------------------------------------------------


def test_the_command_prints_the_report(tmp_path):
    path = tmp_path / "catalogo.csv"
    path.write_bytes(csv_bytes(SPANISH_HEADER, PARACETAMOL, "X-1;Sin unidad;tableta;1 mg;;Varios;no;3"))
    out = StringIO()

    call_command("import_catalogue", str(path), stdout=out)

    assert "Items added: 1" in out.getvalue()
    assert "Items updated: 0" in out.getvalue()
    assert "Rows rejected: 1" in out.getvalue()
    assert "Line 3 (X-1): Unit is missing." in out.getvalue()


def test_the_command_refuses_a_file_that_is_not_a_catalogue(tmp_path):
    path = tmp_path / "catalogo.csv"
    path.write_bytes(csv_bytes("clave;nombre", "X-1;Algo"))

    with pytest.raises(CommandError, match="Missing: forma"):
        call_command("import_catalogue", str(path), stdout=StringIO())
    assert not Item.objects.exists()


def test_the_command_says_when_the_file_cannot_be_read(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_catalogue", str(tmp_path / "no-such-file.csv"), stdout=StringIO())


# --- The page --------------------------------------------------------------------------------------------


def upload(client, data, name="catalogo.csv"):
    return client.post(reverse("pharmacy:catalogue-import"),
                       {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def test_pharmacy_uploads_a_catalogue_and_reads_the_report(client, pharmacy):
    log_in(client, pharmacy)
    ItemFactory(code="010.000.3215.00", name="Diazepam")
    data = csv_bytes(SPANISH_HEADER, PARACETAMOL, DIAZEPAM, "X-1;;tableta;1 mg;tableta;Varios;no;0")

    response = upload(client, data)

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.created, report.updated) == (1, 1)
    page = response.content.decode()
    assert 'data-testid="import-report"' in page
    assert 'data-testid="import-created">1<' in page
    assert 'data-testid="import-updated">1<' in page
    assert page.count('data-testid="rejected-row"') == 1
    assert "Name is missing." in page
    assert "Maximum months of stock must be a whole number, 1 or more (found “0”)." in page
    assert Item.objects.filter(code="010.000.0104.00").exists()


def test_the_rejected_rows_are_explained_in_the_persons_language(client, pharmacy):
    log_in(client, pharmacy, language="es")

    long_code = "X-" + "1" * 30
    response = upload(client, csv_bytes(SPANISH_HEADER, f"{long_code};Clave larga;tableta;1 mg;tableta;Varios;no;3"))

    assert response.context["report"].rejected[0].reasons[0].startswith("Clave: Escribe como máximo")


def test_an_admin_may_import_the_catalogue_too(client, admin_user):
    log_in(client, admin_user)
    response = upload(client, csv_bytes(SPANISH_HEADER, PARACETAMOL))
    assert response.context["report"].created == 1


def test_the_page_shows_why_a_file_is_refused_and_writes_nothing(client, pharmacy):
    log_in(client, pharmacy)

    response = upload(client, csv_bytes("clave;nombre", "X-1;Algo"))

    assert response.status_code == 200
    assert response.context["report"] is None
    assert "Missing: forma (form)" in response.content.decode()
    assert not Item.objects.exists()


def test_the_page_refuses_a_file_over_the_limit_before_reading_it(client, pharmacy):
    log_in(client, pharmacy)

    response = upload(client, csv_bytes(SPANISH_HEADER, PARACETAMOL) + b" " * MAX_BYTES)

    assert "The file is too large" in response.content.decode()
    assert not Item.objects.exists()


def test_the_page_asks_for_a_file_when_none_is_sent(client, pharmacy):
    log_in(client, pharmacy)

    response = client.post(reverse("pharmacy:catalogue-import"), {})

    assert "Choose the CSV file to import." in response.content.decode()


def test_a_coordinator_may_not_import_the_catalogue(client, coordinator):
    log_in(client, coordinator)

    response = upload(client, csv_bytes(SPANISH_HEADER, PARACETAMOL))

    assert response.status_code == 403
    assert not Item.objects.exists()
