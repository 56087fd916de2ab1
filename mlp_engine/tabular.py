"""Tabular data sets: CSV text read and written, and scikit-learn's bundled real data sets.

A `Table` holds raw inputs X (n, d) and labels y (n,): class indices 0..k-1 for classification,
target values for regression. A CSV that cannot be used raises `CsvError`, which says in its
message and in its `row` and `column` attributes where the first problem is. Standardisation
and PCA are the pipeline's (preparation.py).

Why these sources live in the engine rather than the server: the Python script the playground
exports (server/export.py) imports nothing but numpy and `mlp_engine`, and rebuilds its data with
`read_csv` (an upload, carried in the script as CSV text) and `load_real` (a real data set).
Neither needs a web library: csv and numpy here, scikit-learn imported on a real data set's
first load.
"""

import csv
import io
import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from itertools import chain
from numbers import Integral

import numpy as np

from .operations import lookup
from .problems import KINDS, kind_of


@dataclass(frozen=True)
class CsvLimits:
    """The largest CSV upload accepted."""

    max_rows: int = 10_000
    max_columns: int = 65  # counting the label column: 64 inputs (digits' 8 x 8 pixels) + label
    max_bytes: int = 5_000_000


CSV_LIMITS = CsvLimits()
MAX_CLASSES = 20
TABULAR_KINDS = ("classification", "regression")
MISSING = frozenset({"", "na", "nan", "null"})  # compared in lower case
#: The largest magnitude of a number in a CSV: the squares that standardisation and PCA sum over
#: up to max_rows samples (n * (2 * 1e100)^2) stay far inside float64's range (1.8e308).
MAX_MAGNITUDE = 1e100
#: A text cell a spreadsheet would run as a formula begins with one of these (OWASP, "CSV
#: Injection"); `to_csv(spreadsheet_safe=True)` neutralises it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Unicode categories of characters a name or class label may not hold: the controls (NUL, line
#: breaks, ESC...) and the line and paragraph separators. A tab is allowed.
CONTROL_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})

_NUMBERED_COLUMN = re.compile(r"column \d+")


class CsvError(ValueError):
    """A CSV that cannot be used; `row` (1-based line number in the file, or None) and `column`
    (the column's header name, or its 1-based number as 'column 3' when there is no header, or
    None) say where."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None):
        places = []
        if row is not None:
            places.append(f"row {row}")
        if column is not None:
            numbered = _NUMBERED_COLUMN.fullmatch(column)
            places.append(column if numbered else f"column {column!r}")
        super().__init__(f"{', '.join(places)}: {message}" if places else message)
        self.row, self.column = row, column


def _frozen_floats(values) -> np.ndarray:
    """A read-only, C-contiguous float64 copy."""
    array = np.array(values, dtype=np.float64, order="C")
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Table:
    """Inputs X (n, d) and labels y (n,) with their names; the arrays are read-only copies.

    `classes` are the original labels as strings in class-index order; () for regression.
    """

    X: np.ndarray
    y: np.ndarray
    columns: tuple[str, ...]
    target: str
    kind: str
    classes: tuple[str, ...] = ()

    def __post_init__(self):
        X, y = _frozen_floats(self.X), _frozen_floats(self.y)
        if X.ndim != 2 or y.shape != (len(X),):
            raise ValueError(f"X and y need shapes (n, d) and (n,), got {X.shape} and {y.shape}")
        if len(self.columns) != X.shape[1]:
            raise ValueError(f"{len(self.columns)} column names for {X.shape[1]} inputs")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if len(self.classes) > MAX_CLASSES or self.kind != kind_of(len(self.classes)):
            raise ValueError(f"kind {self.kind!r} does not fit {len(self.classes)} classes")
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "classes", tuple(self.classes))

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def __eq__(self, other):
        if not isinstance(other, Table):
            return NotImplemented
        return (
            (self.columns, self.target, self.kind, self.classes)
            == (other.columns, other.target, other.kind, other.classes)
            and np.array_equal(self.X, other.X)
            and np.array_equal(self.y, other.y)
        )


def cell_number(value: str) -> float | None:
    """The number a cell spells, as a spreadsheet reads numbers, or None.

    Python's float() also reads '1_000' and digits of other scripts ('١٢'); a spreadsheet takes
    those for text, and so does the playground.
    """
    if not value.isascii() or "_" in value:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _number(value: str, row: int, column: str) -> float:
    """The number in a cell, finite and at most MAX_MAGNITUDE in size, or a CsvError saying why
    it is not one."""
    number = cell_number(value)
    if number is not None and abs(number) <= MAX_MAGNITUDE:
        return number
    if value.lower() in MISSING:
        raise CsvError("missing value", row, column)
    if number is None:
        raise CsvError(f"{value!r} is not a number", row, column)
    if not math.isfinite(number):
        raise CsvError(f"{value!r} is not a finite number", row, column)
    raise CsvError(
        f"{value!r} is too large: numbers may be at most {MAX_MAGNITUDE:g} in size", row, column
    )


def _numbers(fields: list[str], at: list[int], row: int, names: list[str]) -> list[float]:
    """The numbers in cells fields[at] (see `_number`); the first cell that is not one raises
    CsvError."""
    cells = [fields[j] for j in at]
    joined = "".join(cells)
    if joined.isascii() and "_" not in joined:  # else `_number` says which cell is not a number
        try:
            numbers = [float(cell) for cell in cells]
            if all(-MAX_MAGNITUDE <= number <= MAX_MAGNITUDE for number in numbers):
                return numbers
        except ValueError:
            pass
    return [_number(fields[j], row, names[j]) for j in at]


def _check_text(value: str, row: int | None, column: str) -> None:
    """A name or a class label is one line of text: a control character (a NUL, a line break,
    an escape) is refused, as the page, its plots and the exported files would carry it on."""
    if value.isprintable():
        return
    for char in value:
        if char != "\t" and unicodedata.category(char) in CONTROL_CATEGORIES:
            what = unicodedata.name(char, "the control character")
            raise CsvError(f"{value!r} contains {what} U+{ord(char):04X}", row, column)


def _class_indices(labels: list[str], column: str) -> tuple[tuple[str, ...], np.ndarray]:
    """The distinct labels, sorted, and each label's class index.

    All-numeric labels are sorted and compared by value ('1' and '1.0' are one class, spelt as
    first seen); other labels are sorted as strings.
    """
    numbers = [cell_number(value) for value in labels]
    keys = numbers if None not in numbers else labels
    spelling: dict = {}
    for key, value in zip(keys, labels, strict=True):
        spelling.setdefault(key, value)
    if len(spelling) < 2:
        raise CsvError(
            f"only one class {labels[0]!r}; classification needs at least 2", None, column
        )
    if len(spelling) > MAX_CLASSES:
        raise CsvError(f"{len(spelling)} classes, over the limit of {MAX_CLASSES}", None, column)
    index = {key: i for i, key in enumerate(sorted(spelling))}
    return tuple(spelling[key] for key in index), np.array([index[key] for key in keys], float)


def _megabytes(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.6f}".rstrip("0").rstrip(".") + " MB"


def _delimiter(text: str) -> str:
    """The most frequent of ',', ';' and tab outside quotes in the first non-blank line (comma on
    a tie): a quoted header such as "weight; kg" says nothing of the delimiter."""
    first = next((line for line in io.StringIO(text, newline=None) if line.strip()), "")
    unquoted = "".join(first.split('"')[::2])  # the even pieces lie outside double quotes
    return max(",;\t", key=unquoted.count)


def _records(text: str, delimiter: str):
    """(line number where it starts, stripped fields) of each non-blank record of the CSV."""
    reader = csv.reader(io.StringIO(text, newline=None), delimiter=delimiter, strict=True)
    start = 1
    try:
        for fields in reader:
            fields = [value.strip() for value in fields]
            if fields not in ([], [""]):
                yield start, fields
            start = reader.line_num + 1
    except csv.Error as error:
        raise CsvError(str(error), reader.line_num) from None


def _label_index(label, names: list[str], header: bool) -> int:
    """The 0-based position of the label column, chosen by name or by (negative) index."""
    n = len(names)
    if isinstance(label, str) and header and label in names:
        return names.index(label)
    if isinstance(label, Integral) and not isinstance(label, bool) and -n <= label < n:
        return int(label) % n
    listing = ", ".join(repr(name) for name in names) if header else f"column 1 to {n}"
    if isinstance(label, str) and not header:
        raise CsvError(f"no header row, so give the label column {label!r} by index ({listing})")
    raise CsvError(
        f"no label column {label!r}: use a name or an index in {-n}..{n - 1} "
        f"of the {n} columns ({listing})"
    )


def _check_names(names: list[str], row: int) -> None:
    """Header names must be non-empty, one line of text (`_check_text`) and distinct."""
    for j, name in enumerate(names):
        if not name:
            raise CsvError("empty column name", row, f"column {j + 1}")
        _check_text(name, row, f"column {j + 1}")
        if name in names[:j]:
            raise CsvError(
                f"duplicate column name (also column {names.index(name) + 1})", row, name
            )


@dataclass(frozen=True)
class CsvLayout:
    """What a CSV's first record says, before any value is read: the delimiter, whether that
    record is a header, the columns' names (the header's, else "column 1", "column 2"...) and
    the line the record starts on."""

    delimiter: str
    header: bool
    names: tuple[str, ...]
    first_line: int


def csv_layout(
    text: str, header: bool | None = None, limits: CsvLimits = CSV_LIMITS
) -> tuple[CsvLayout, Iterator[tuple[int, list[str]]]]:
    """The layout of CSV text and its data rows: (line number, stripped fields), one value per
    column, at most `limits.max_rows` of them and at least one.

    header=None: the first row is a header iff a field is neither a number nor missing. Raises
    CsvError for what makes the file unusable whichever column is the label (its size, no
    record, too few or too many columns, a bad header name); the rows raise theirs (a row of
    another width, one over the limit, none at all) as they are read.
    """
    n_bytes = len(text.encode("utf-8", "surrogatepass"))
    if n_bytes > limits.max_bytes:
        limit = _megabytes(limits.max_bytes)
        raise CsvError(f"the file is {_megabytes(n_bytes)}, over the limit of {limit}")
    text = text.removeprefix("\ufeff")
    delimiter = _delimiter(text)
    records = _records(text, delimiter)
    first_line, first = next(records, (None, None))
    if first is None:
        raise CsvError("the file is empty")
    n_columns = len(first)
    if n_columns > limits.max_columns:
        raise CsvError(
            f"{n_columns} columns, over the limit of {limits.max_columns} "
            "(counting the label column)",
            first_line,
        )
    if n_columns < 2:
        raise CsvError("need at least 2 columns: one or more features and a label", first_line)
    if header is None:
        header = any(cell_number(v) is None and v.lower() not in MISSING for v in first)
    names = first if header else [f"column {j + 1}" for j in range(n_columns)]
    if header:
        _check_names(names, first_line)
    layout = CsvLayout(delimiter, header, tuple(names), first_line)
    data = records if header else chain([(first_line, first)], records)
    return layout, _data_rows(data, layout, limits)


def _data_rows(records, layout: CsvLayout, limits: CsvLimits):
    """`records`, each checked to have one value per column and to be within the row limit;
    CsvError when there is none."""
    n_columns, n_rows = len(layout.names), 0
    for line, fields in records:
        if len(fields) != n_columns:
            k = len(fields)
            raise CsvError(f"{k} value{'s' * (k != 1)}, expected {n_columns}", line)
        if n_rows == limits.max_rows:
            limit = limits.max_rows
            raise CsvError(f"more than {limit} data rows; the limit is {limit}", line)
        n_rows += 1
        yield line, fields
    if n_rows == 0:
        raise CsvError("no data rows", layout.first_line if layout.header else None)


def read_csv(
    text: str,
    label: int | str = -1,
    header: bool | None = None,
    kind: str | None = None,
    limits: CsvLimits = CSV_LIMITS,
) -> Table:
    """A Table from CSV text; `label` picks the label column by 0-based index or header name.

    The layout (delimiter, header, names) is `csv_layout`'s. kind=None: labels that are all
    integers with at most MAX_CLASSES values, or not all numbers, make classification; other
    numbers make regression. Labels are never missing or infinite. Raises CsvError at the
    first problem in file order.
    """
    if kind is not None and kind not in TABULAR_KINDS:
        raise ValueError(f"kind must be one of {TABULAR_KINDS} or None, got {kind!r}")
    layout, data = csv_layout(text, header, limits)
    names, header, n_columns = list(layout.names), layout.header, len(layout.names)
    label_at = _label_index(label, names, header)
    features = [j for j in range(n_columns) if j != label_at]
    rows, labels = [], []
    for line, fields in data:
        rows.append(_numbers(fields, features, line, names))
        value = fields[label_at]
        if kind == "regression" or value.lower() in MISSING or cell_number(value) is not None:
            _number(value, line, names[label_at])
        else:
            _check_text(value, line, names[label_at])
        labels.append(value)
    if kind is None:
        numbers = [cell_number(value) for value in labels]
        integral = None not in numbers and all(n.is_integer() for n in numbers)
        few = integral and len(set(numbers)) <= MAX_CLASSES
        kind = "classification" if None in numbers or few else "regression"
    if kind == "regression":
        classes, y = (), np.array([float(value) for value in labels])
    else:
        classes, y = _class_indices(labels, names[label_at])
    columns = (
        [names[j] for j in features] if header else [f"x{i + 1}" for i in range(len(features))]
    )
    target = names[label_at] if header else "label"
    X = np.array(rows, dtype=np.float64).reshape(len(rows), len(features))
    return Table(X, y, tuple(columns), target, kind_of(len(classes)), classes)


@dataclass(frozen=True)
class RealDatasetSpec:
    """A real dataset bundled with scikit-learn, loaded by sklearn.datasets.load_<name>."""

    name: str
    kind: str
    n_inputs: int
    n_samples: int
    description: str

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")


REAL_DATASETS: dict[str, RealDatasetSpec] = {
    spec.name: spec
    for spec in (
        RealDatasetSpec("iris", "multiclass", 4, 150,
                        "150 iris flowers, 4 measurements, 3 species"),
        RealDatasetSpec("wine", "multiclass", 13, 178,
                        "178 wines, 13 chemical measurements, 3 cultivars"),
        RealDatasetSpec("breast_cancer", "binary", 30, 569,
                        "569 breast tumour biopsies, 30 measurements, benign or malignant"),
        RealDatasetSpec("digits", "multiclass", 64, 1797,
                        "1797 handwritten digits, 8x8 pixel intensities, 10 classes"),
        RealDatasetSpec("diabetes", "regression", 10, 442,
                        "442 diabetes patients, 10 baseline measurements, progression a year on"),
    )
}  # fmt: skip
# sklearn.datasets.load_<name> options: diabetes in its original units, not mean-centred and scaled.
_LOAD_OPTIONS = {"diabetes": {"scaled": False}}


def load_real(name: str) -> Table:
    """The real dataset `name` (see REAL_DATASETS) with raw, unstandardised inputs.

    Classes are sklearn's target names, sorted as read_csv sorts them so that a CSV export reads
    back equal (breast_cancer: 'benign' 0, 'malignant' 1, the reverse of sklearn's coding).
    """
    return _load_real(lookup(REAL_DATASETS, name, "real dataset").name)


@cache
def _load_real(name: str) -> Table:
    # Imported here: sklearn.datasets takes over a second to import, and CSV uploads never need it.
    from sklearn import datasets

    spec = REAL_DATASETS[name]
    bunch = getattr(datasets, f"load_{name}")(**_LOAD_OPTIONS.get(name, {}))
    columns = tuple(str(column) for column in bunch.feature_names)
    if spec.kind == "regression":
        return Table(bunch.data, bunch.target, columns, "target", "regression")
    labels = [str(label) for label in np.asarray(bunch.target_names)[bunch.target]]
    classes, y = _class_indices(labels, "target")
    return Table(bunch.data, y, columns, "target", spec.kind, classes)


def _spreadsheet_text(cell: str) -> str:
    """A text cell a spreadsheet shows as text: one that would start a formula gets a leading
    single quote, as OWASP advises against CSV injection. Numbers ('-1.5') are left alone."""
    if cell.startswith(FORMULA_STARTS) and cell_number(cell) is None:
        return "'" + cell
    return cell


def to_csv(X, y, columns, target: str, classes=(), spreadsheet_safe: bool = False) -> str:
    """CSV text with a header row; numbers by repr (exact round trip), text cells (names, class
    labels) quoted, so that `read_csv` reads it back equal whatever the names hold (a name
    with more semicolons than the header has commas would otherwise make ';' the delimiter).

    spreadsheet_safe=True writes it for people instead, who open it in a spreadsheet: a text
    cell that would start a formula (`FORMULA_STARTS`) begins with a single quote, as OWASP
    advises against CSV injection, and `read_csv` keeps that quote.
    """
    text = _spreadsheet_text if spreadsheet_safe else str
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)  # floats by repr
    writer.writerow([*map(text, columns), text(target)])
    for inputs, label in zip(np.asarray(X, dtype=np.float64), np.asarray(y), strict=True):
        value = text(classes[int(label)]) if classes else float(label)
        writer.writerow([*map(float, inputs), value])
    return out.getvalue()
