"""The one PDF document class: A4, DejaVu font, the call's visual identity on every page."""
import math
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from fpdf import FPDF

#: a Unicode TrueType font, so Romanian ș ț ă î â render (Debian: fonts-dejavu-core)
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

#: the EU emblem's colours (Reflex Blue, Yellow) as RGB
EU_BLUE = (0x00, 0x33, 0x99)
EU_YELLOW = (0xFF, 0xCC, 0x00)
#: a regular five-pointed star: inner radius / outer radius
_STAR_INNER = math.sin(math.radians(18)) / math.sin(math.radians(54))

#: the mandatory texts of a POCU 2014–2020 document, per language (a call may change them)
DEFAULT_TEXTS = {
    "ro": {"union": "Uniunea Europeană", "fund": "Fondul Social European",
           "programme": "Programul Operațional Capital Uman 2014–2020",
           "cofinancing": "Proiect cofinanțat din Fondul Social European prin Programul "
                          "Operațional Capital Uman 2014-2020"},
    "en": {"union": "European Union", "fund": "European Social Fund",
           "programme": "Human Capital Operational Programme 2014–2020",
           "cofinancing": "Project co-financed by the European Social Fund through the Human "
                          "Capital Operational Programme 2014-2020"},
}
TEXT_KEYS = ("union", "fund", "programme", "cofinancing")

HEADER_TOP = 8
EMBLEM_HEIGHT = 12
#: where a page's own content starts, below the identity block
CONTENT_TOP = 34
BOTTOM_MARGIN = 20


def emblem_stars(x: float, y: float, height: float) -> list[list[tuple[float, float]]]:
    """The twelve stars of the EU emblem on a flag of `height` whose top left is (x, y), as
    polygons (y grows downwards): official geometry, circle radius 1/3 and star radius 1/18 of
    the height, stars upright at the positions of the hours of a clock."""
    centre_x, centre_y = x + height * 0.75, y + height / 2
    circle, outer = height / 3, height / 18
    inner = outer * _STAR_INNER
    stars = []
    for hour in range(12):
        angle = math.radians(hour * 30)
        star_x, star_y = centre_x + circle * math.sin(angle), centre_y - circle * math.cos(angle)
        points = []
        for corner in range(10):
            radius = outer if corner % 2 == 0 else inner
            turn = math.radians(corner * 36)
            points.append((star_x + radius * math.sin(turn), star_y - radius * math.cos(turn)))
        stars.append(points)
    return stars


def emblem_svg(height: int = 60) -> str:
    """The EU emblem as an inline SVG for web pages (same geometry as the PDF one)."""
    width = height * 1.5
    polygons = "".join(
        '<polygon points="{}"/>'.format(" ".join(f"{px:.2f},{py:.2f}" for px, py in star))
        for star in emblem_stars(0, 0, height))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="EU" '
            f'width="{width:g}" height="{height}" viewBox="0 0 {width:g} {height}">'
            f'<rect width="{width:g}" height="{height}" fill="#003399"/>'
            f'<g fill="#FFCC00">{polygons}</g></svg>')


@dataclass(frozen=True)
class Logo:
    """A logo's bytes (PNG or JPEG) and its pixel size (to place it by its aspect ratio)."""

    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class Letterhead:
    """What the header and footer of every page show."""

    texts: dict = field(default_factory=lambda: dict(DEFAULT_TEXTS["ro"]))
    logos: tuple[Logo, ...] = ()
    project_title: str = ""
    smis_code: str = ""

    def lines(self) -> list[str]:
        """The letterhead as lines of text (the first rows of a spreadsheet export)."""
        project = " · ".join(part for part in (
            f"Proiect: {self.project_title}" if self.project_title else "",
            f"Cod SMIS: {self.smis_code}" if self.smis_code else "") if part)
        identity = " · ".join(self.texts.get(key, "") for key in ("union", "fund", "programme"))
        return [line for line in (identity, project, self.texts.get("cofinancing", "")) if line]


class Document(FPDF):
    """An A4 document whose every page carries the letterhead: the EU emblem, the mandatory
    texts, the logos, project title and SMIS code at the top; the co-financing mention and
    "Pagina X din N" at the bottom."""

    def __init__(self, letterhead: Letterhead | None = None, orientation: str = "P"):
        super().__init__(orientation=orientation, format="A4")
        self.letterhead = letterhead or Letterhead()
        #: (title, detail lines) repeated under the identity block on every page, if any
        self.page_heading: tuple[str, list[str]] | None = None
        regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
        if not regular.exists():
            raise RuntimeError(f"font missing: {regular} (apt-get install fonts-dejavu-core)")
        self.add_font("DejaVu", "", str(regular))
        self.add_font("DejaVu", "B", str(bold))
        self.set_auto_page_break(auto=True, margin=BOTTOM_MARGIN)
        self.set_font("DejaVu", "", 10)

    def draw_emblem(self, x: float, y: float, height: float) -> None:
        self.set_fill_color(*EU_BLUE)
        self.rect(x, y, height * 1.5, height, style="F")
        self.set_fill_color(*EU_YELLOW)
        for star in emblem_stars(x, y, height):
            self.polygon(star, style="F")

    def header(self) -> None:
        head = self.letterhead
        font = (self.font_family, self.font_style, self.font_size_pt)
        left = self.l_margin
        self.draw_emblem(left, HEADER_TOP, EMBLEM_HEIGHT)
        self.set_text_color(0, 0, 0)
        self.set_font("DejaVu", "B", 7)
        self.set_xy(left + EMBLEM_HEIGHT * 1.5 + 3, HEADER_TOP)
        for key in ("union", "fund", "programme"):
            self.cell(90, 4, head.texts.get(key, ""), new_x="LEFT", new_y="NEXT")
        right = self.w - self.r_margin
        for logo in reversed(head.logos):
            width = EMBLEM_HEIGHT * logo.width / max(logo.height, 1)
            right -= width
            self.image(BytesIO(logo.data), x=right, y=HEADER_TOP, w=width, h=EMBLEM_HEIGHT)
            right -= 3
        self.set_xy(left, HEADER_TOP + EMBLEM_HEIGHT + 2)
        self.set_font("DejaVu", "", 7)
        line = " · ".join(part for part in (
            f"Proiect: {head.project_title}" if head.project_title else "",
            f"Cod SMIS: {head.smis_code}" if head.smis_code else "") if part)
        if line:
            self.multi_cell(self.w - left - self.r_margin, 3.5, line, new_x="LMARGIN",
                            new_y="NEXT", max_line_height=3.5)
        self.set_draw_color(*EU_BLUE)
        rule = max(self.get_y() + 1, HEADER_TOP + EMBLEM_HEIGHT + 6)
        self.line(left, rule, self.w - self.r_margin, rule)
        self.set_draw_color(0, 0, 0)
        self.set_xy(left, max(rule + 3, CONTENT_TOP))
        if self.page_heading:
            title, details = self.page_heading
            self.set_font("DejaVu", "B", 13)
            self.cell(0, 7, title, align="C", new_x="LMARGIN", new_y="NEXT")
            self.set_font("DejaVu", "", 9)
            for detail in details:
                self.cell(0, 5, detail, new_x="LMARGIN", new_y="NEXT")
            self.ln(2)
        self.set_font(*font)

    def footer(self) -> None:
        font = (self.font_family, self.font_style, self.font_size_pt)
        self.set_y(-14)
        self.set_font("DejaVu", "", 7)
        self.cell(0, 4, self.letterhead.texts.get("cofinancing", ""), align="C",
                  new_x="LMARGIN", new_y="NEXT")
        self.cell(0, 4, f"Pagina {self.page_no()} din {{nb}}", align="C")
        self.set_font(*font)


def new_document(letterhead: Letterhead | None = None, orientation: str = "P") -> Document:
    """An A4 document with the letterhead on every page and its first page added."""
    document = Document(letterhead, orientation)
    document.add_page()
    return document


def picture_pdf(jpeg: bytes, width: int, height: int, margin: float = 10) -> bytes:
    """A one-page A4 PDF holding a picture fitted inside the margins: the scan or photo of a
    paper someone hands in, so it carries no letterhead of ours."""
    pdf = FPDF(orientation="L" if width > height else "P", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    box_w, box_h = pdf.w - 2 * margin, pdf.h - 2 * margin
    scale = min(box_w / width, box_h / height)
    shown_w, shown_h = width * scale, height * scale
    pdf.image(BytesIO(jpeg), x=margin + (box_w - shown_w) / 2, y=margin + (box_h - shown_h) / 2,
              w=shown_w, h=shown_h)
    return bytes(pdf.output())
