"""Public-diary masking: personal numbers, party names, fallback phrases, organisations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.domain import (
    Case,
    CaseRef,
    CaseStatus,
    CaseType,
    Document,
    DocumentDirection,
    Unit,
)
from policies.masking import (
    CONFIDENTIAL_CASE_TITLE,
    CONFIDENTIAL_DOCUMENT_TITLE,
    MASK,
    DiaryDocument,
    DiaryView,
    diary_view,
    mask_personal_numbers,
    mask_text,
)

AT = datetime(2025, 4, 2, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw",
    [
        "195606055555",
        "19560605-5555",
        "560605-5555",
        "5606055555",
        "560605+5555",
        "19560665-5551",  # coordination number (day + 60)
        "20190314 2386",
    ],
)
def test_personal_number_shapes_are_masked(raw: str) -> None:
    assert mask_personal_numbers(f"Ansökan ({raw}) om bidrag") == f"Ansökan ({MASK}) om bidrag"


@pytest.mark.parametrize(
    "text",
    [
        "BN 2025/0193 Bygglov",
        "Möte 2025-01-15 kl 10",
        "Org.nr 556677-8899",  # organisation number: month 67 is no month
        "Faktura 1234567890123",  # longer digit run
        "MK-2025-837",
    ],
)
def test_other_numbers_are_left_alone(text: str) -> None:
    assert mask_personal_numbers(text) == text


def test_party_names_are_masked_in_any_order_and_alone() -> None:
    names = ["Kalle Testson"]
    assert mask_text("Bygglov för garage, Kalle Testson", names) == f"Bygglov för garage, {MASK}"
    assert mask_text("Yttrande från Testson, Kalle", names) == f"Yttrande från {MASK}"
    assert mask_text("Grannehörande hos familjen Testson", names) == (
        f"Grannehörande hos familjen {MASK}"
    )
    assert mask_text("KALLE TESTSON begär anstånd", names) == f"{MASK} begär anstånd"


def test_fallback_masks_names_after_role_words() -> None:
    assert mask_text("Klagomål på buller, sökande Eva Ek") == (
        f"Klagomål på buller, sökande {MASK}"
    )
    assert mask_text("Medborgarförslag från Bengt Berg om utegym") == (
        f"Medborgarförslag från {MASK} om utegym"
    )
    assert mask_text("Anmälare: Anna Maria Andersson") == f"Anmälare: {MASK}"


@pytest.mark.parametrize(
    "title",
    [
        "Ansökan om bygglov från Byggbolaget Norr AB",
        "Yttrande från Exempelby kommun",
        "Skrivelse från Länsstyrelsen Stockholm",
        "Bidrag till Bostadsrättsföreningen Eken",
        "Remissvar från Trafikverket",
        "Handläggare Maria Svensson bokar platsbesök",
        "Detaljplan för Norra Hamnen",
    ],
)
def test_organisations_and_officials_are_not_masked(title: str) -> None:
    assert mask_text(title, ["Kalle Testson"]) == title


def test_party_name_inside_an_organisation_name_is_kept() -> None:
    assert mask_text("Offert från Testson Bygg AB", ["Kalle Testson"]) == (
        "Offert från Testson Bygg AB"
    )


def _case(title: str, *, confidential: bool = False, docs: tuple[Document, ...] = ()) -> Case:
    return Case(
        ref=CaseRef("byggr", "A-1"),
        case_number="BN 2025/0193",
        type=CaseType("BYGGLOV", "Bygglov"),
        title=title,
        status=CaseStatus.IN_PROGRESS,
        unit=Unit("BN", "Byggnadsnämnden"),
        opened_at=AT,
        subject="195606055555",
        confidential=confidential,
        documents=docs,
    )


def test_kalles_building_permit_shows_neither_name_nor_number() -> None:
    doc = Document(
        "d1", "Grannemedgivande Lisa Lund", DocumentDirection.INCOMING, AT, confidential=False
    )
    view = diary_view(
        _case("Bygglov nybyggnad garage, Kalle Testson 19560605-5555", docs=(doc,)),
        ["Kalle Testson", "Lisa Lund"],
    )
    assert view == DiaryView(
        case_number="BN 2025/0193",
        registered_at=AT,
        title=f"Bygglov nybyggnad garage, {MASK} {MASK}",
        unit_code="BN",
        confidential=False,
        documents=(
            DiaryDocument(f"Grannemedgivande {MASK}", DocumentDirection.INCOMING, AT, False),
        ),
    )
    assert "Testson" not in repr(view) and "5555" not in repr(view) and "Lisa" not in repr(view)


def test_confidential_entries_get_neutral_titles_everywhere() -> None:
    docs = (
        Document("d1", "Ansökan särskilt boende Greta Testson", DocumentDirection.INCOMING, AT),
        Document("d2", "Beslut", DocumentDirection.OUTGOING, AT),
    )
    view = diary_view(_case("Särskilt boende Greta Testson", confidential=True, docs=docs), [])
    assert view.title == CONFIDENTIAL_CASE_TITLE
    assert [d.title for d in view.documents] == [CONFIDENTIAL_DOCUMENT_TITLE] * 2
    assert all(d.confidential for d in view.documents)


def test_confidential_document_in_a_public_entry_loses_its_title_only() -> None:
    docs = (
        Document("d1", "Läkarintyg", DocumentDirection.INCOMING, AT, confidential=True),
        Document("d2", "Situationsplan", DocumentDirection.INCOMING, AT),
    )
    view = diary_view(_case("Bygglov garage", docs=docs), [])
    assert view.title == "Bygglov garage"
    assert [(d.title, d.confidential) for d in view.documents] == [
        (CONFIDENTIAL_DOCUMENT_TITLE, True),
        ("Situationsplan", False),
    ]
