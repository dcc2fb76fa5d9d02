"""Labels of stored codes (size class, eligibility, flags, sex) in the reader's language."""
from flask_babel import lazy_gettext as _l

SIZE_LABELS = {"micro": _l("Micro"), "small": _l("Small"), "medium": _l("Medium"),
               "large": _l("Large"), "unknown": _l("Unknown")}
ELIGIBILITY_LABELS = {"eligible": _l("Eligible"), "pending": _l("Pending"),
                      "ineligible": _l("Ineligible")}
FLAG_LABELS = {"age_55_64": _l("55–64"), "woman": _l("Woman"), "rural": _l("Rural"),
               "isced_low": _l("ISCED 0–2"), "disability": _l("Disability"),
               "minority_or_migrant": _l("Minority/migrant")}
SEX_LABELS = {"M": _l("Male"), "F": _l("Female")}
