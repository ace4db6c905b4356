"""Commune lookup: codes, old codes, names as typed, arrondissements, EPCI, errors."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import geo
from geo.errors import AmbiguousCommuneError, UnknownCommuneError
from geo.reference import commune_index
from geo.reference.lookup import RESULT_COLUMNS, find_commune, resolve_communes
from geo.reference.names import arrondissement, epci_parts, split_hint

CDS = "200041010"  # CC Cœur de Savoie


@pytest.fixture(scope="module")
def attributes() -> pd.DataFrame:
    return geo.commune_attributes()


def _members(attributes: pd.DataFrame, siren: str) -> set[str]:
    com = attributes[attributes["type"] == "COM"]
    return set(com.loc[com["epci_siren"] == siren, "code_insee"])


# --- codes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code", "kind", "dep"),
    [
        ("78440", "78440", "COM", "78"),
        ("2A004", "2A004", "COM", "2A"),
        ("2a004", "2A004", "COM", "2A"),
        (" 97407 ", "97407", "COM", "974"),
        ("75101", "75101", "ARM", "75"),
        ("75120", "75120", "ARM", "75"),
        ("69381", "69381", "ARM", "69"),
        ("69389", "69389", "ARM", "69"),
        ("13201", "13201", "ARM", "13"),
        ("13216", "13216", "ARM", "13"),
        ("75056", "75056", "COM", "75"),
    ],
)
def test_code(value: str, code: str, kind: str, dep: str) -> None:
    match = find_commune(value)
    assert (match.code_insee, match.type, match.departement) == (code, kind, dep)
    assert match.matched_by == "code"
    assert match.note is None
    assert match.value == value


@pytest.mark.parametrize("value", ["1001", 1001, 1001.0])
def test_code_that_lost_its_leading_zero(value: object) -> None:
    match = find_commune(value)
    assert match.code_insee == "01001"
    assert match.nom == "L'Abergement-Clémenciat"
    assert match.note == "code 1001 lu comme 01001"


def test_old_code_of_commune_deleguee(attributes: pd.DataFrame) -> None:
    row = attributes[attributes["code_insee"] == "14011"].iloc[0]
    assert (row["type"], row["parent"]) == ("COMD", "14581")
    match = find_commune("14011")
    assert (match.code_insee, match.nom, match.type) == ("14581", "Aurseulles", "COM")
    assert match.matched_by == "old-code"
    assert match.note == (
        "ancien code 14011 (commune déléguée Anctoville) -> commune nouvelle 14581 Aurseulles"
    )


def test_old_code_of_commune_associee() -> None:
    match = find_commune("02300")
    assert (match.code_insee, match.matched_by) == ("02738", "old-code")
    assert "commune associée Fargniers" in match.note


def test_code_shared_by_commune_and_its_deleguee_is_the_commune() -> None:
    # 14581 is both Aurseulles (COM) and its commune déléguée Saint-Germain-d'Ectot.
    match = find_commune("14581")
    assert (match.nom, match.matched_by, match.note) == ("Aurseulles", "code", None)


def test_code_followed_by_name() -> None:
    assert find_commune("78440 Les Mureaux").code_insee == "78440"
    assert find_commune("78440 - Mureaux").code_insee == "78440"
    assert find_commune("14011 Anctoville").code_insee == "14581"
    with pytest.raises(UnknownCommuneError, match="code 78440 is Les Mureaux, not Chapet"):
        find_commune("78440 Chapet")


def test_unknown_code_that_is_a_postal_code() -> None:
    with pytest.raises(
        UnknownCommuneError, match=r"postal code of Paris 13e Arrondissement \(75113\)"
    ):
        find_commune("75013")
    with pytest.raises(UnknownCommuneError, match=r"Les Mureaux \(78440\)"):
        find_commune("78130")


def test_unknown_code() -> None:
    with pytest.raises(UnknownCommuneError, match=r'"99999" is not an INSEE code$'):
        find_commune("99999")


def test_code_in_another_departement() -> None:
    with pytest.raises(UnknownCommuneError, match=r"département 78 \(Yvelines\), not in 93"):
        find_commune("78440", departement="93")


# --- names -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Les Mureaux", "78440"),
        ("les mureaux", "78440"),
        ("Mureaux", "78440"),
        ("LES MUREAUX", "78440"),
        ("Villers St Paul", "60684"),
        ("villers-saint-paul", "60684"),
        ("Villers Saint Paul", "60684"),
        ("Rivière Pilote", "97220"),
        ("Riviere-Pilote", "97220"),
        ("Le Port (Réunion)", "97407"),
        ("Le Port (La Réunion)", "97407"),
        ("Le Port (974)", "97407"),
        ("Port (Réunion)", "97407"),
        ("Saint-Denis (93)", "93066"),
        ("Saint-Denis (Seine-Saint-Denis)", "93066"),
        ("Saint-Denis (Île-de-France)", "93066"),  # région hint
        ("Saint Denis [974]", "97411"),
        ("Saint-Denis 93", "93066"),
        ("Saint-Denis (93200)", "93066"),  # postal code as hint
        ("Paris", "75056"),
        ("Lyon", "69123"),
        ("Marseille", "13055"),
        ("Ajaccio", "2A004"),
        ("L Isle Adam", "95313"),
        ("Isle-Adam", "95313"),
        ("Coeuvres-et-Valsery", "02201"),
        ("Coeur de Causse", "46138"),
        ("Cœur-de-Causse", "46138"),
        ("coeur de la vallee", "51457"),
        ("Cœuvres et Valsery", "02201"),
        ("Port", "01307"),  # exact name wins over "Le Port"
    ],
)
def test_name(value: str, code: str, attributes: pd.DataFrame) -> None:
    match = find_commune(value)
    assert match.code_insee == code
    assert match.matched_by == "name"
    assert match.type == "COM"
    expected = attributes.loc[
        (attributes["code_insee"] == code) & (attributes["type"] == "COM"), "nom"
    ].item()
    assert match.nom == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Paris 13e", "75113"),
        ("Paris 13", "75113"),
        ("Paris 13ème", "75113"),
        ("Paris XIIIe", "75113"),
        ("Paris (13e)", "75113"),
        ("Paris 13e Arrondissement", "75113"),
        ("13e arrondissement de Paris", "75113"),
        ("Paris 1er", "75101"),
        ("Paris 20e arr.", "75120"),
        ("Lyon 8e arrondissement", "69388"),
        ("Lyon 1er", "69381"),
        ("Marseille 1er", "13201"),
        ("Marseille 16e", "13216"),
    ],
)
def test_arrondissement(value: str, code: str) -> None:
    match = find_commune(value)
    assert (match.code_insee, match.type, match.matched_by) == (code, "ARM", "arrondissement")


def test_arrondissement_out_of_range() -> None:
    with pytest.raises(UnknownCommuneError, match=r"Paris has no such arrondissement \(1 to 20\)"):
        find_commune("Paris 21e")
    with pytest.raises(UnknownCommuneError, match=r"1 to 9"):
        find_commune("Lyon 10e")


def test_arrondissement_hint_must_agree_with_the_departement() -> None:
    with pytest.raises(UnknownCommuneError, match=r"75113 .* not in département 69"):
        find_commune("Paris 13e (69)")
    with pytest.raises(UnknownCommuneError, match="contradicts"):
        find_commune("Paris 13e (75)", departement="69")
    assert find_commune("Paris 13e (75)").code_insee == "75113"
    assert find_commune("Lyon 8e (Rhône)").code_insee == "69388"
    assert find_commune("Marseille 1er (Provence-Alpes-Côte d'Azur)").code_insee == "13201"


@pytest.mark.parametrize("value", ["Paris (ivx)", "Paris vx", "Paris iiii", "Paris iix"])
def test_malformed_roman_numeral_is_not_an_arrondissement(value: str) -> None:
    with pytest.raises(UnknownCommuneError):
        find_commune(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Paris iv", "75104"),
        ("Paris (xix)", "75119"),
        ("Paris xive", "75114"),
        ("Lyon ix", "69389"),
    ],
)
def test_roman_numerals(value: str, code: str) -> None:
    assert find_commune(value).code_insee == code


def test_commune_deleguee_name_resolves_to_parent() -> None:
    match = find_commune("Anctoville")
    assert (match.code_insee, match.nom, match.matched_by) == ("14581", "Aurseulles", "name")
    assert match.note == (
        "commune déléguée Anctoville (14011) -> commune nouvelle 14581 Aurseulles"
    )


def test_commune_preferred_over_its_deleguee_of_the_same_name(attributes: pd.DataFrame) -> None:
    # Bernwiller is a commune (68006) and a commune déléguée of it (68031).
    rows = attributes[attributes["nom"] == "Bernwiller"]
    assert set(zip(rows["code_insee"], rows["type"], strict=True)) == {
        ("68006", "COM"),
        ("68031", "COMD"),
    }
    match = find_commune("Bernwiller")
    assert (match.code_insee, match.note) == ("68006", None)


def test_current_commune_preferred_over_a_former_one_elsewhere() -> None:
    # Béon is a commune of Yonne and a commune déléguée of Culoz-Béon (Ain).
    match = find_commune("Béon")
    assert match.code_insee == "89037"
    assert "commune déléguée Béon (01039) de 01138 Culoz-Béon" in match.note
    other = find_commune("Béon", departement="01")
    assert (other.code_insee, other.nom) == ("01138", "Culoz-Béon")
    assert "commune déléguée Béon (01039)" in other.note


# --- département filter ------------------------------------------------------


@pytest.mark.parametrize(
    ("departement", "code"),
    [
        ("93", "93066"),
        ("Seine-Saint-Denis", "93066"),
        ("seine st denis", "93066"),
        ("974", "97411"),
        ("La Réunion", "97411"),
        ("Réunion", "97411"),
        ("reunion", "97411"),
        ("11", "11339"),
        ("Aude", "11339"),
    ],
)
def test_departement_resolves_ambiguity(departement: str, code: str) -> None:
    assert find_commune("Saint-Denis", departement=departement).code_insee == code


def test_departement_codes_are_normalised() -> None:
    assert find_commune("Ajaccio", departement="2a").code_insee == "2A004"
    assert find_commune("L'Abergement-Clémenciat", departement="1").code_insee == "01001"
    assert find_commune("Les Mureaux", departement="Yvelines").code_insee == "78440"


def test_departement_codes_stored_as_numbers() -> None:
    table = resolve_communes(["Saint-Denis", "Saint-Denis", "Ajaccio"], [93.0, 974.0, "2A"])
    assert table["code_insee"].tolist() == ["93066", "97411", "2A004"]
    assert find_commune("Saint-Denis", departement="93.0").code_insee == "93066"
    assert find_commune("L'Abergement-Clémenciat", departement=1.0).code_insee == "01001"
    with pytest.raises(UnknownCommuneError, match=r'"93\.5" is neither'):
        find_commune("Saint-Denis", departement=93.5)


def test_unknown_departement_suggests() -> None:
    with pytest.raises(UnknownCommuneError, match=r'did you mean "Yvelines" \(78\)'):
        find_commune("Les Mureaux", departement="Yvelinnes")


def test_hint_that_is_not_a_departement() -> None:
    with pytest.raises(UnknownCommuneError, match='"Reunionn" is neither a département'):
        find_commune("Le Port (Reunionn)")


def test_hint_contradicting_departement() -> None:
    with pytest.raises(UnknownCommuneError, match="contradicts"):
        find_commune("Saint-Denis (93)", departement="974")


# --- ambiguity and unknown names --------------------------------------------


def test_ambiguous_name_lists_candidates_with_departement() -> None:
    with pytest.raises(AmbiguousCommuneError) as info:
        find_commune("Saint-Denis")
    message = str(info.value)
    assert "93066 Seine-Saint-Denis" in message
    assert "97411 La Réunion" in message
    assert "add the département" in message
    assert "93066 Seine-Saint-Denis" in info.value.candidates
    assert isinstance(info.value, LookupError)


def test_ambiguous_without_article_shows_the_names() -> None:
    with pytest.raises(AmbiguousCommuneError, match=r"97407 La Réunion"):
        find_commune("Le Port")


def test_unknown_name_suggests_close_names() -> None:
    with pytest.raises(UnknownCommuneError, match=r'did you mean "Les Mureaux" \(78440\)') as info:
        find_commune("Muraux")
    assert not isinstance(info.value, AmbiguousCommuneError)
    assert info.value.problems == [str(info.value)]


def test_unknown_name_within_departement() -> None:
    with pytest.raises(
        UnknownCommuneError, match=r'in département 93; did you mean "Saint-Denis"'
    ):
        find_commune("Sant Denis", departement="93")


def test_unknown_without_any_suggestion() -> None:
    with pytest.raises(UnknownCommuneError, match="matches no commune name, INSEE code or EPCI"):
        find_commune("Qwxzkj")


@pytest.mark.parametrize("value", [None, "", "   ", float("nan")])
def test_empty_value(value: object) -> None:
    with pytest.raises(UnknownCommuneError, match="empty value"):
        find_commune(value)  # type: ignore[arg-type]


# --- EPCI ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "CC Cœur de Savoie",
        "CC Coeur de Savoie",
        "cc coeur savoie",
        "C.C. Cœur de Savoie",
        "Communauté de communes Cœur de Savoie",
        "communaute de communes coeur de savoie",
        "CDC du Cœur de Savoie",
        CDS,
        "200 041 010",
        int(CDS),
    ],
)
def test_epci_expands_to_member_communes(value: object, attributes: pd.DataFrame) -> None:
    table = resolve_communes([value])
    expected = _members(attributes, CDS)
    assert len(expected) > 30
    assert set(table["code_insee"]) == expected
    assert len(table) == len(expected)
    assert set(table["matched_by"]) == {"epci"}
    assert set(table["input_index"]) == {0}
    assert set(table["type"]) == {"COM"}
    assert set(table["note"]) == {f"membre de Communauté de communes Cœur de Savoie ({CDS})"}


@pytest.mark.parametrize(
    ("value", "siren"),
    [
        ("Métropole de Lyon", "200046977"),
        ("Metropole du Grand Paris", "200054781"),
        ("Rennes Métropole", "243500139"),
        ("Métropole de Rennes", "243500139"),
        ("Métropole Européenne de Lille", "200093201"),
    ],
)
def test_epci_names_with_markers(value: str, siren: str, attributes: pd.DataFrame) -> None:
    assert siren in set(attributes["epci_siren"])
    table = resolve_communes([value])
    assert set(table["code_insee"]) == _members(attributes, siren)


def test_epci_members_are_communes_not_arrondissements() -> None:
    table = resolve_communes(["Métropole de Lyon"])
    assert "69123" in set(table["code_insee"])
    assert not table["code_insee"].str.startswith("6938").any()


def test_find_commune_refuses_an_epci() -> None:
    with pytest.raises(UnknownCommuneError, match=r"is an EPCI .*resolve_communes"):
        find_commune("CC Cœur de Savoie")


def test_unknown_siren() -> None:
    with pytest.raises(UnknownCommuneError, match="not the SIREN of an EPCI"):
        resolve_communes(["123456789"])


def test_epci_name_without_marker_is_suggested() -> None:
    with pytest.raises(
        UnknownCommuneError, match=rf'the EPCI "Communauté de communes Cœur de Savoie" \({CDS}\)'
    ):
        resolve_communes(["Cœur de Savoie"])


def test_misspelt_epci_suggests_epci() -> None:
    expected = (
        rf'no EPCI of that name; did you mean "Communauté de communes Cœur de Savoie" \({CDS}\)'
    )
    with pytest.raises(UnknownCommuneError, match=expected):
        resolve_communes(["CC Coeur de Savoi"])


def test_epci_outside_departement() -> None:
    with pytest.raises(UnknownCommuneError, match="EPCI with no commune in département 38"):
        resolve_communes(["CC Cœur de Savoie"], departement="38")
    assert len(resolve_communes(["CC Cœur de Savoie"], departement="Savoie")) > 30


# --- batch -------------------------------------------------------------------


def test_batch_columns_order_and_index() -> None:
    values = pd.Series(
        ["Paris 13e", "14011", "Mureaux", "Le Port (Réunion)"], index=["a", "b", "c", "d"]
    )
    table = resolve_communes(values)
    assert list(table.columns) == RESULT_COLUMNS
    assert table["input_index"].tolist() == ["a", "b", "c", "d"]
    assert table["code_insee"].tolist() == ["75113", "14581", "78440", "97407"]
    assert table["matched_by"].tolist() == ["arrondissement", "old-code", "name", "name"]
    assert table["value"].tolist() == values.tolist()
    assert table["note"].iloc[0] is None
    assert table["note"].iloc[1].startswith("ancien code 14011")


def test_batch_mixes_communes_and_epci(attributes: pd.DataFrame) -> None:
    table = resolve_communes(["Mureaux", "CC Cœur de Savoie", "Paris 13e"])
    sizes = table.groupby("input_index").size()
    assert sizes.tolist() == [1, len(_members(attributes, CDS)), 1]
    # Input order is kept.
    assert table["input_index"].is_monotonic_increasing


def test_batch_reports_every_problem_once_with_row_numbers() -> None:
    # "Y" is a commune of Somme.
    values = ["Les Mureaux", "Paris 13e", "Marseille 1er", "Saint-Denis", "78440", "Qwxzkj", "Y",
              "Zzzyx", "Muraux", "Ajaccio"]  # fmt: skip
    with pytest.raises(UnknownCommuneError) as info:
        resolve_communes(values, source="data/ptce.csv")
    error = info.value
    assert not isinstance(error, AmbiguousCommuneError)
    message = str(error)
    assert message.startswith("4 communes not found in data/ptce.csv: ")
    assert (
        'row 4 "Saint-Denis" is ambiguous (11339 Aude, 30247 Gard, 93066 Seine-Saint-Denis, '
        in message
    )
    assert (
        'row 9 "Muraux" — no commune of that name; did you mean "Les Mureaux" (78440)' in message
    )
    assert [p.split(" ", 2)[1] for p in error.problems] == ["4", "6", "8", "9"]


def test_batch_of_only_ambiguous_values_raises_ambiguous() -> None:
    with pytest.raises(AmbiguousCommuneError, match=r"^2 ambiguous commune names: row 1 ") as info:
        resolve_communes(["Saint-Denis", "Mureaux", "Le Port"])
    assert len(info.value.problems) == 2
    assert info.value.problems[1].startswith('row 3 "Le Port" is ambiguous')
    assert "97407 La Réunion" in info.value.candidates


def test_batch_labels_from_where() -> None:
    labels = ["ligne 12", "ligne 13"]
    with pytest.raises(UnknownCommuneError, match='ligne 13 "Muraux"'):
        resolve_communes(["Mureaux", "Muraux"], where=labels)
    index = pd.Index([4, 9])
    with pytest.raises(UnknownCommuneError, match='row 9 "Muraux"'):
        resolve_communes(["Mureaux", "Muraux"], where=index)


def test_batch_departement_per_row() -> None:
    table = resolve_communes(
        ["Saint-Denis", "Saint-Denis", "Mureaux"], departement=["93", "La Réunion", None]
    )
    assert table["code_insee"].tolist() == ["93066", "97411", "78440"]


def test_batch_bad_departement_is_a_row_problem() -> None:
    with pytest.raises(UnknownCommuneError, match=r'row 2 département "Yvelinnes"'):
        resolve_communes(["Mureaux", "Mureaux"], departement=["78", "Yvelinnes"])


def test_batch_lengths_must_agree() -> None:
    with pytest.raises(ValueError, match="departement has 1 items for 2 values"):
        resolve_communes(["a", "b"], departement=["78"])
    with pytest.raises(ValueError, match="where has 3 labels for 2 values"):
        resolve_communes(["a", "b"], where=["1", "2", "3"])
    with pytest.raises(ValueError, match="errors must be"):
        resolve_communes(["a"], errors="ignore")  # type: ignore[arg-type]


def test_batch_coerce_keeps_problems_as_rows() -> None:
    table = resolve_communes(["Mureaux", "Muraux", None], errors="coerce")
    assert table["code_insee"].tolist() == ["78440", None, None]
    assert table["note"].iloc[1].startswith('row 2 "Muraux"')
    assert table["note"].iloc[2] == "row 3 empty value — give a name or an INSEE code"
    assert table["matched_by"].iloc[1] is None


def test_batch_single_string_is_one_value() -> None:
    table = resolve_communes("Paris 13e")
    assert table["code_insee"].tolist() == ["75113"]


def test_batch_empty_input() -> None:
    table = resolve_communes([])
    assert list(table.columns) == RESULT_COLUMNS
    assert table.empty


def test_batch_repeated_values_agree() -> None:
    values = ["Mureaux", "78440", "mureaux", "Mureaux"] * 50
    table = resolve_communes(values)
    assert set(table["code_insee"]) == {"78440"}
    assert table["input_index"].tolist() == list(range(200))


# --- API details -------------------------------------------------------------


def test_match_is_frozen() -> None:
    match = find_commune("78440")
    with pytest.raises(dataclasses.FrozenInstanceError):
        match.code_insee = "00000"  # type: ignore[misc]


def test_lazy_exports() -> None:
    assert geo.find_commune is find_commune
    assert geo.resolve_communes is resolve_communes


def test_index_is_built_once() -> None:
    first = commune_index.commune_index()
    find_commune("Paris 13e")
    assert commune_index.commune_index() is first


# --- parsing helpers -----------------------------------------------------------


def test_split_hint() -> None:
    assert split_hint("Le Port (Réunion)") == ("Le Port", "Réunion")
    assert split_hint("Saint-Denis [93]") == ("Saint-Denis", "93")
    assert split_hint("Paris") == ("Paris", None)
    assert split_hint("(93)") == ("(93)", None)


def test_arrondissement_parser() -> None:
    assert arrondissement("paris 13e") == "75113"
    assert arrondissement("marseille ier") == "13201"
    assert arrondissement("lyon", "8e") == "69388"
    assert arrondissement("paris 0") is None
    assert arrondissement("parisien 13") is None


def test_roman_numeral_parser() -> None:
    assert arrondissement("paris xiiie") == "75113"
    assert arrondissement("paris", "ix") == "75109"
    for key in ("paris ivx", "paris iiii", "paris vv", "paris xxxx", "paris iix"):
        assert arrondissement(key) is None, key
    assert arrondissement("paris", "ivx") is None


def test_code_normalisation_and_plm_constants() -> None:
    from geo.reference import names as _names

    assert _names.normalise_code("1001") == "01001"
    assert _names.normalise_code(" 1001.0 ") == "01001"
    assert _names.normalise_code("2a004") == "2A004"
    assert _names.normalise_code("Les Mureaux") == "Les Mureaux"
    assert _names.normalise_code("200041010") == "200041010"
    assert _names.departement_code(93.0) == "93"
    assert _names.departement_code("974.0") == "974"
    assert _names.departement_code("2a") == "2A"
    assert _names.departement_code(93.5) is None
    assert _names.PLM_CODES == {"75056", "13055", "69123"}
    assert len(_names.PLM_PARENTS) == 45
    assert _names.PLM_PARENTS["75120"] == "75056"
    assert _names.PLM_PARENTS["13216"] == "13055"
    assert _names.PLM_PARENTS["69389"] == "69123"
    assert "75121" not in _names.PLM_PARENTS


def test_epci_parts() -> None:
    assert epci_parts("cc coeur de savoie") == (True, "CC", "coeur savoie")
    assert epci_parts("communaute d agglomeration du grand dole") == (True, "CA", "grand dole")
    assert epci_parts("rennes metropole") == (True, "ME", "rennes")
    assert epci_parts("les mureaux")[0] is False


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("12 rue de la Paix 75002 Paris", "75102"),
        ("Place de l'Hôtel de Ville 78130 Les Mureaux", "78440"),
        ("1 place 60870 Villers St Paul", "60684"),
        ("3 rue X 97420 Le Port", "97407"),
        ("1 rue 13001 Marseille", "13201"),
        ("sans code postal", None),
        ("1 rue 99999 Nulle Part", None),
    ],
)
def test_commune_of_address(address, code):
    from geo.reference.postcodes import commune_of_address

    assert commune_of_address(address) == code


def test_resolve_each_tells_the_kind_by_type():
    from geo.reference.lookup import resolve_each

    ambiguous, unknown, found = resolve_each(["Saint-Denis", "Nulle-Part-Ici", "78440"])
    assert isinstance(ambiguous, AmbiguousCommuneError) and "97411" in " ".join(
        ambiguous.candidates
    )
    assert isinstance(unknown, UnknownCommuneError)
    assert not isinstance(unknown, AmbiguousCommuneError)
    assert str(unknown).startswith('row 2 "Nulle-Part-Ici"')
    assert [m.code_insee for m in found] == ["78440"]


def test_bad_arguments_are_argument_errors():
    from geo.errors import ArgumentError

    with pytest.raises(ArgumentError, match="errors must be"):
        resolve_communes(["78440"], errors="ignore")
    with pytest.raises(ArgumentError, match="where has"):
        resolve_communes(["78440"], where=["a", "b"])
