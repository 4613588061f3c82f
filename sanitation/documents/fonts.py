"""The faces of official documents: which installed fonts, and fast subsets of them.

Each role (title, body, heading levels) names an installed family and style in settings
(``DOCUMENT_FONTS``, e.g. "Noto Serif CJK SC:Bold"); a site with a licensed 仿宋 points the
body at it. WeasyPrint embeds every face as a per-document subset; cut from a 20 MB CJK
collection that costs more than laying the document out. So each face is cut once to
the characters official documents use (GB 2312 with the symbols and punctuation around
it, about 8,400 characters, 2-5 MB), cached under ``DOCUMENT_FONT_CACHE``, and the
documents name those cuts first. A character outside the cut still gets a real glyph:
the installed family and the fallback fonts follow in every family list.
"""

import hashlib
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import uharfbuzz as hb
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Bump when the character set or the subsetting options change: cached cuts are rebuilt.
CUT_VERSION = "1"
# Tables a horizontal, unhinted, already-localised (SC) face never needs in a document.
DROPPED_TABLES = ("GSUB", "GPOS", "BASE", "VORG", "vhea", "vmtx", "DSIG", "JSTF", "MATH", "EBDT", "EBLC", "EBSC")


@dataclass(frozen=True)
class InstalledFace:
    family: str
    style: str
    path: Path
    index: int


@dataclass(frozen=True)
class RoleFace:
    role: str
    installed: InstalledFace
    cut: Path  # the cached subset

    @property
    def css_family(self) -> str:
        return f"gbt-{self.cut.stem}"  # one per file: roles sharing a face share its embedding


def _document_charset() -> frozenset[int]:
    code_points = set(range(0x20, 0x7F)) | set(range(0xA0, 0x3100))  # Latin, symbols, CJK punctuation
    code_points |= set(range(0xFE30, 0xFE50)) | set(range(0xFF00, 0xFFF0))  # CJK compatibility, full width
    for code_point in range(0x4E00, 0xA000):
        try:
            chr(code_point).encode("gb2312")
        except UnicodeEncodeError:
            continue
        code_points.add(code_point)
    return frozenset(code_points)


@cache
def find_installed(spec: str) -> InstalledFace:
    """'Family:Style' → the installed file, through fontconfig; an error if it is not installed."""
    family, _, style = spec.partition(":")
    pattern = f"{family}:style={style}" if style else family
    try:
        result = subprocess.run(
            ["fc-match", "--format=%{file}\n%{index}\n%{family}\n%{style}", pattern],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        raise ImproperlyConfigured(f"fontconfig (fc-match) is not available: {error}") from error
    path, index, families, styles = [*result.stdout.split("\n"), "", "", ""][:4]
    if family not in families.split(",") or (style and style not in styles.split(",")):
        raise ImproperlyConfigured(
            f"The document font {spec!r} is not installed (fontconfig offers {families}:{styles}). "
            "Install it (scripts/system-deps.sh) or change DOCUMENT_FONTS."
        )
    return InstalledFace(family=family, style=style, path=Path(path), index=int(index or 0))


def _cut_path(installed: InstalledFace) -> Path:
    stat = installed.path.stat()
    key = f"{CUT_VERSION}|{installed.path}|{installed.index}|{stat.st_size}|{stat.st_mtime_ns}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return Path(settings.DOCUMENT_FONT_CACHE) / f"{installed.path.stem}-{installed.index}-{digest}.otf"


def cut_face(installed: InstalledFace, target: Path) -> None:
    face = hb.Face(hb.Blob.from_file_path(str(installed.path)), installed.index)
    subset_input = hb.SubsetInput()
    unicodes = subset_input.unicode_set
    for code_point in _document_charset():
        unicodes.add(code_point)
    subset_input.flags = hb.SubsetFlags.DESUBROUTINIZE | hb.SubsetFlags.NO_HINTING
    dropped = subset_input.sets(hb.SubsetInputSets.DROP_TABLE_TAG)
    for tag in DROPPED_TABLES:
        dropped.add(int.from_bytes(tag.encode(), "big"))
    data = hb.subset(face, subset_input).blob.data
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part", delete=False) as partial:
        partial.write(data)
    Path(partial.name).replace(target)  # atomic: a concurrent reader never sees half a font


@cache
def role_faces() -> tuple[RoleFace, ...]:
    """Every role's face with its cut, made on first use if `prepare_fonts` has not made it."""
    faces = []
    for role, spec in settings.DOCUMENT_FONTS.items():
        installed = find_installed(spec)
        cut = _cut_path(installed)
        if not cut.exists():
            cut_face(installed, cut)
        faces.append(RoleFace(role=role, installed=installed, cut=cut))
    return tuple(faces)


@cache
def fallback_faces() -> tuple[InstalledFace, ...]:
    return tuple(find_installed(spec) for spec in settings.DOCUMENT_FALLBACK_FONTS)


def font_face_css() -> str:
    cuts = {face.css_family: face.cut for face in role_faces()}
    rule = '@font-face {{ font-family: "{}"; src: url("{}"); }}'
    return "\n".join(rule.format(name, cut.as_uri()) for name, cut in cuts.items())


def family_list(role: str) -> str:
    """The CSS font-family value of a role: its cut, its installed family, the body's, the fallbacks."""
    faces = {face.role: face for face in role_faces()}
    names = [faces[role].css_family, faces[role].installed.family, faces["body"].installed.family]
    names += [face.family for face in fallback_faces()]
    return ", ".join(f'"{name}"' for name in dict.fromkeys(names))


@cache
def _unicodes(installed: InstalledFace) -> frozenset[int]:
    return frozenset(hb.Face(hb.Blob.from_file_path(str(installed.path)), installed.index).unicodes)


def missing_characters(text: str) -> list[str]:
    """Characters of `text` that neither the body face nor a fallback font can draw."""
    faces = {face.role: face for face in role_faces()}
    covered = set(_unicodes(faces["body"].installed))
    for fallback in fallback_faces():
        covered |= _unicodes(fallback)
    return sorted({char for char in text if not char.isspace() and ord(char) not in covered})
