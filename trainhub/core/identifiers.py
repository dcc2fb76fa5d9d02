"""Romanian personal (CNP) and fiscal (CUI) codes: validation, derived facts, masking."""
import re
from collections.abc import Callable
from datetime import date

from flask_babel import lazy_gettext as _l
from stdnum.exceptions import ValidationError
from stdnum.ro import cnp as stdnum_cnp
from stdnum.ro import cui as stdnum_cui


class InvalidIdentifier(ValueError):
    """A CNP or CUI that fails its format, date or check-digit test; str() says why, in the
    reader's language."""


def _as_text(value: object) -> str:
    # Spreadsheets hand numbers over as int or float (1850101123456.0).
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def normalise_cnp(value: object, *, today: date | None = None) -> str:
    """The 13-digit CNP, or InvalidIdentifier with the reason."""
    text = _as_text(value)
    try:
        cnp = stdnum_cnp.validate(text)
    except stdnum_cnp.InvalidLength:
        raise InvalidIdentifier(_l("CNP must have 13 digits")) from None
    except stdnum_cnp.InvalidFormat:
        raise InvalidIdentifier(_l("CNP must contain digits only")) from None
    except stdnum_cnp.InvalidChecksum:
        raise InvalidIdentifier(_l("CNP check digit is wrong")) from None
    except ValidationError:
        raise InvalidIdentifier(_l("CNP has an impossible birth date or county")) from None
    if cnp_birth_date(cnp) > (today or date.today()):
        raise InvalidIdentifier(_l("CNP birth date is in the future"))
    return cnp


def cnp_birth_date(cnp: str) -> date:
    return stdnum_cnp.get_birth_date(cnp)


def cnp_sex(cnp: str) -> str:
    """'M' or 'F': odd first digit is a man, even a woman (9 = foreigner, unknown → 'M')."""
    return "F" if int(cnp[0]) % 2 == 0 else "M"


def cnp_check_digit(first_twelve: str) -> str:
    return stdnum_cnp.calc_check_digit(first_twelve)


def mask_cnp(cnp: str | None) -> str:
    """`1******123456`: first digit and last six, as shown to those without full rights."""
    if not cnp:
        return ""
    return cnp[0] + "*" * (len(cnp) - 7) + cnp[-6:]


def cnp_tail(cnp: str | None, shown: int = 4) -> str:
    """`*********3456`: only the last `shown` digits, where a list tells two namesakes apart."""
    if not cnp:
        return ""
    return "*" * (len(cnp) - shown) + cnp[-shown:]


#: thirteen digits that are not part of a longer number: where a CNP may sit inside a text
_CNP_IN_TEXT = re.compile(r"(?<!\d)\d{13}(?!\d)")


def cnps_in(text: str) -> list[str]:
    """The valid CNPs written inside `text`, in order."""
    return [found for found in _CNP_IN_TEXT.findall(text) if stdnum_cnp.is_valid(found)]


def mask_cnps_in(value, shown: Callable[[str], str] = mask_cnp):
    """`value` (a text, or plain JSON holding texts) with every valid CNP inside it replaced by
    `shown(cnp)`: masked as `mask_cnp` unless the caller decides otherwise for each CNP.

    The one way a message, reason, evidence snapshot, audit change or export cell is made safe
    for its reader; other numbers (a wrong check digit, longer runs of digits) stay as they are.
    """
    if isinstance(value, str):
        return _CNP_IN_TEXT.sub(
            lambda match: shown(match[0]) if stdnum_cnp.is_valid(match[0]) else match[0], value)
    if isinstance(value, dict):
        return {key: mask_cnps_in(item, shown) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_cnps_in(item, shown) for item in value]
    return value


def normalise_cui(value: object) -> str:
    """The CUI digits without `RO` and spaces, or InvalidIdentifier with the reason."""
    text = _as_text(value).upper().replace(" ", "")
    try:
        return stdnum_cui.validate(text.removeprefix("RO"))
    except stdnum_cui.InvalidLength:
        raise InvalidIdentifier(_l("CUI must have 2 to 10 digits")) from None
    except stdnum_cui.InvalidChecksum:
        raise InvalidIdentifier(_l("CUI check digit is wrong")) from None
    except ValidationError:
        raise InvalidIdentifier(_l("CUI must contain digits only")) from None


def age_on(birth_date: date, when: date) -> int:
    """Full years between birth and `when` (someone born on 29 Feb turns a year older on 1 Mar)."""
    return when.year - birth_date.year - ((when.month, when.day) < (birth_date.month, birth_date.day))
