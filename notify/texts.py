"""What the messages say, in Swedish: only that there is news and where to log in.

E-mail and SMS are not secure channels, so no text here takes anything from a
case or a person: the only inputs are the portal's address and, for a one-time
code, the code and its validity. A test feeds these functions many generated
events and checks that no case number, title, type, unit, name or personal
number can appear.
"""

from __future__ import annotations

from .model import Channel

NEWS_SUBJECT = "Det finns nyheter på Mina sidor"
CODE_SUBJECT = "Din kod för Mina sidor"


def news_text(channel: Channel, portal_url: str) -> tuple[str, str]:
    """(subject, body) of the message that tells there is news."""
    if channel is Channel.SMS:
        return "", f"Det finns ny information i dina ärenden. Logga in på Mina sidor: {portal_url}"
    body = (
        "Hej!\n\n"
        "Det finns ny information i ett eller flera av dina ärenden.\n"
        f"Logga in på Mina sidor för att läsa den: {portal_url}\n\n"
        "Av säkerhetsskäl skriver vi aldrig något om dina ärenden i e-post eller sms.\n"
        "Det här meddelandet går inte att svara på.\n"
    )
    return NEWS_SUBJECT, body


def code_text(channel: Channel, code: str, minutes: int, portal_url: str) -> tuple[str, str]:
    """(subject, body) of the message with a one-time code confirming an address."""
    what = "e-postadressen" if channel is Channel.EMAIL else "mobilnumret"
    if channel is Channel.SMS:
        return "", (
            f"Din kod för att bekräfta {what} på Mina sidor är {code}. "
            f"Den gäller i {minutes} minuter."
        )
    body = (
        "Hej!\n\n"
        f"Din kod för att bekräfta {what} på Mina sidor är: {code}\n"
        f"Koden gäller i {minutes} minuter. Ange den på Mina sidor: {portal_url}\n\n"
        "Har du inte bett om koden kan du bortse från det här meddelandet.\n"
    )
    return CODE_SUBJECT, body
