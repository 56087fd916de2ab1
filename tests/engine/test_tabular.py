"""Tests of mlp_engine.tabular: CSV reading and its errors, export, real datasets."""

import csv
import io

import numpy as np
import pytest
from sklearn import datasets as sk_datasets

from mlp_engine.preparation import principal_components, project, standardize
from mlp_engine.tabular import (
    CSV_LIMITS,
    FORMULA_STARTS,
    MAX_CLASSES,
    MAX_MAGNITUDE,
    REAL_DATASETS,
    TABULAR_KINDS,
    CsvError,
    CsvLimits,
    RealDatasetSpec,
    Table,
    load_real,
    read_csv,
    to_csv,
)

REAL_NAMES = ["iris", "wine", "breast_cancer", "digits", "diabetes"]


def csv_error(text, **kwargs) -> CsvError:
    with pytest.raises(CsvError) as caught:
        read_csv(text, **kwargs)
    return caught.value


def numbered_rows(n, first=1):
    return "".join(f"{i},{i % 2}\n" for i in range(first, first + n))


# --- constants and the error type -------------------------------------------------------------


def test_limits_and_kinds():
    assert CsvLimits(max_rows=10_000, max_columns=65, max_bytes=5_000_000) == CSV_LIMITS
    assert MAX_CLASSES == 20
    assert TABULAR_KINDS == ("classification", "regression")
    with pytest.raises(AttributeError):
        CSV_LIMITS.max_rows = 5


@pytest.mark.parametrize(
    ("row", "column", "expected"),
    [
        (17, "petal_width", "row 17, column 'petal_width': 'abc' is not a number"),
        (17, "column 3", "row 17, column 3: 'abc' is not a number"),
        (17, None, "row 17: 'abc' is not a number"),
        (None, "petal_width", "column 'petal_width': 'abc' is not a number"),
        (None, None, "'abc' is not a number"),
    ],
)
def test_csv_error_names_row_and_column_in_its_message(row, column, expected):
    error = CsvError("'abc' is not a number", row=row, column=column)
    assert isinstance(error, ValueError)
    assert (error.row, error.column, str(error)) == (row, column, expected)


# --- read_csv: errors, each at the first bad place in file order -------------------------------

SMALL = CsvLimits(max_rows=5, max_columns=3, max_bytes=200)

LIMITED = {"limits": SMALL}
REGRESSION = {"kind": "regression"}
ERRORS = {
    # id: (text, read_csv keyword arguments, row, column, words in the message)
    "empty file": ("", {}, None, None, "empty"),
    "only blank lines": ("\n  \n\t\n", {}, None, None, "empty"),
    "header without data": ("a,b\n\n", {}, 1, None, "no data rows"),
    "too many bytes": ("a,b\n" + numbered_rows(60), LIMITED, None, None, "MB"),
    "too many rows": ("a,b\n" + numbered_rows(6), LIMITED, 7, None, "5 data rows"),
    "too many columns": ("a,b,c,d\n1,2,3,4\n", LIMITED, 1, None, "4 columns"),
    "one column": ("a\n1\n2\n", {}, 1, None, "at least 2 columns"),
    "short row": (
        "a,b,c,d,e\n" + "1,2,3,4,5\n" * 7 + "1,2,3,4\n",
        {},
        9,
        None,
        "4 values, expected 5",
    ),
    "long row": ("a,b\n1,2\n1,2,3\n", {}, 3, None, "3 values, expected 2"),
    "empty cell": ("a,b,c\n1,2,0\n1,,0\n", {}, 3, "b", "missing value"),
    "NA": ("a,b,c\n1,2,0\n1,NA,0\n", {}, 3, "b", "missing value"),
    "NaN": ("a,b,c\n1,NaN,0\n", {}, 2, "b", "missing value"),
    "nan": ("a,b,c\n1,2,0\nnan,2,0\n", {}, 3, "a", "missing value"),
    "null": ("a,b,c\n1,null,0\n", {}, 2, "b", "missing value"),
    "missing label": ("a,b,c\n1,2,0\n1,2,\n", {}, 3, "c", "missing value"),
    "not a number": (
        "a,petal_width,c\n1,2,0\n1,abc,0\n",
        {},
        3,
        "petal_width",
        "'abc' is not a number",
    ),
    "inf": ("a,b,c\n1,inf,0\n", {}, 2, "b", "'inf' is not a finite number"),
    "-inf": ("a,b,c\n1,-inf,0\n", {}, 2, "b", "'-inf' is not a finite number"),
    "overflow": ("a,b,c\n1,1e999,0\n", {}, 2, "b", "'1e999' is not a finite number"),
    "infinite label": ("a,b\n1,0\n2,1e400\n", {}, 3, "b", "not a finite number"),
    # Numbers as a spreadsheet reads them: ASCII digits, no '_' (Python's float takes both)
    "underscore": ("a,b,c\n1,2,0\n1_000,2,0\n", {}, 3, "a", "'1_000' is not a number"),
    "underscore label": ("a,b\n1,0\n2,1_0\n", REGRESSION, 3, "b", "'1_0' is not a number"),
    "arabic-indic digits": ("a,b,c\n1,\u0661\u0662,0\n", {}, 2, "b", "is not a number"),
    # Too large for standardisation and PCA to square and sum (1e308 failed in the SVD)
    "1e308": ("a,b,c\n1,2,0\n1,1e308,0\n", {}, 3, "b", "'1e308' is too large"),
    "-1e101": ("a,b,c\n-1e101,2,0\n", {}, 2, "a", "at most 1e+100 in size"),
    "large label": ("a,b\n1,0\n2,3e200\n", REGRESSION, 3, "b", "'3e200' is too large"),
    # Names and labels are one line of text: no NUL, no control character, no line break
    "NUL in a label": ("a,b,y\n1,2,x\n1,2,no\x00\n", {}, 3, "y", "control character U+0000"),
    "NUL in a name": ("a,b\x00,y\n1,2,x\n", {}, 1, "column 2", "U+0000"),
    "escape in a label": ("a,y\n1,\x1b[31mred\n2,b\n", {}, 2, "y", "U+001B"),
    "quoted line break in a label": ('a,y\n1,"x\ny"\n2,b\n', {}, 2, "y", "U+000A"),
    "quoted line break in a name": ('"a\nb",y\n1,x\n2,b\n', {}, 1, "column 1", "U+000A"),
    "line separator in a label": ("a,y\n1,x\u2028y\n2,b\n", {}, 2, "y", "LINE SEPARATOR"),
    "no header: numbered column": ("1,2,0\n1,x,1\n", {}, 2, "column 2", "'x' is not a number"),
    "duplicate header": ("a,b,a,y\n1,2,3,0\n", {}, 1, "a", "duplicate column name"),
    "empty header name": ("a,,y\n1,2,0\n", {}, 1, "column 2", "empty column name"),
    "regression, word label": (
        "a,y\n1,0.5\n2,high\n",
        REGRESSION,
        3,
        "y",
        "'high' is not a number",
    ),
    "classification, too many": (
        "a,y\n" + "".join(f"0.5,{i}\n" for i in range(21)),
        {"kind": "classification"},
        None,
        "y",
        "21 classes, over the limit of 20",
    ),
    "words, too many": (
        "a,y\n" + "".join(f"1,w{i}\n" for i in range(21)),
        {},
        None,
        "y",
        "21 classes",
    ),
    "one class": ("a,y\n1,cat\n2,cat\n", {}, None, "y", "only one class 'cat'"),
    "one numeric class": ("a,y\n1,3\n2,3.0\n", {}, None, "y", "only one class"),
    "unterminated quote": ('a,y\n1,0\n2,"cat\n', {}, 3, None, "unexpected end of data"),
    # file order: blank lines and a quoted line break still count as lines of the file
    "after blank lines": ("\na,b,c\n\n1,2,0\n\n\n1,x,0\n", {}, 7, "b", "'x' is not a number"),
    "after a quoted line break": ('a,b,c\n1,"2\n",0\n1,abc,0\n', {}, 4, "b", "'abc'"),
    "first cell of the row": ("a,b,c\n1,2,0\nu,v,0\n", {}, 3, "a", "'u'"),
    "label before a later feature": ("a,y\n1,0.5\n2,x\nz,1\n", REGRESSION, 3, "y", "'x'"),
    "cell before a later short row": ("a,b,c\n1,2,0\n1,x,0\n1,2\n", {}, 3, "b", "'x'"),
    "cell before the row limit": (
        "a,b\n" + numbered_rows(3) + "x,1\n" + numbered_rows(3),
        LIMITED,
        5,
        "a",
        "'x'",
    ),
}


@pytest.mark.parametrize(("text", "kwargs", "row", "column", "words"), ERRORS.values(), ids=ERRORS)
def test_read_csv_reports_the_first_problem_with_row_and_column(text, kwargs, row, column, words):
    error = csv_error(text, **kwargs)
    assert (error.row, error.column) == (row, column)
    message = str(error)
    assert words in message
    if row is not None:
        assert message.startswith(f"row {row}")
    if column is not None:
        assert (column if column.startswith("column ") else repr(column)) in message


def test_size_is_measured_in_utf8_bytes_and_reported_in_megabytes():
    text = "a,b\n1,é\n2,ü\n"  # 14 bytes, 12 characters
    assert read_csv(text, limits=CsvLimits(max_bytes=14)).classes == ("é", "ü")
    error = csv_error(text, limits=CsvLimits(max_bytes=13))
    assert str(error) == "the file is 0.000014 MB, over the limit of 0.000013 MB"
    big = "a,b\n" + "1,0\n2,1\n" * 700_000
    assert "over the limit of 5 MB" in str(csv_error(big))


def test_row_and_byte_limits_allow_exactly_the_limit():
    assert len(read_csv("a,b\n" + numbered_rows(5), limits=SMALL).X) == 5
    text = "a,b\n1,0\n2,1\n"
    assert len(read_csv(text, limits=CsvLimits(max_bytes=len(text))).X) == 2
    assert len(read_csv("a,b,c\n1,2,0\n3,4,1\n", limits=SMALL).columns) == 2


def test_reading_stops_at_the_first_row_over_the_limit():
    text = "a,b\n" + numbered_rows(6) + "not,a,row\n" * 1000
    error = csv_error(text, limits=CsvLimits(max_rows=5))
    assert (error.row, str(error)) == (7, "row 7: more than 5 data rows; the limit is 5")


@pytest.mark.parametrize(
    ("label", "words"),
    [("petal", "no label column 'petal'"), (3, "no label column 3"), (-4, "-3..2")],
)
def test_unknown_label_column_lists_the_columns(label, words):
    error = csv_error("a,b,y\n1,2,0\n", label=label)
    assert words in str(error)
    assert "'a', 'b', 'y'" in str(error)


def test_label_by_name_needs_a_header():
    error = csv_error("1,2,0\n3,4,1\n", label="y")
    assert "no header row" in str(error) and "'y'" in str(error)


def test_unknown_kind_is_a_value_error_naming_the_choices():
    with pytest.raises(ValueError, match="classification.*regression"):
        read_csv("a,y\n1,0\n2,1\n", kind="binary")


# --- read_csv: layout ----------------------------------------------------------------------------


def test_header_is_detected_when_a_field_is_not_a_number():
    table = read_csv("length,width,species\n1.5,2,0\n3,4e1,1\n")
    assert table.columns == ("length", "width")
    assert table.target == "species"
    np.testing.assert_array_equal(table.X, [[1.5, 2.0], [3.0, 40.0]])
    np.testing.assert_array_equal(table.y, [0.0, 1.0])


def test_no_header_when_the_first_row_is_all_numbers():
    table = read_csv("1.5,2,0\n3,-4,1\n+5,1e3,1\n")
    assert table.columns == ("x1", "x2")
    assert table.target == "label"
    np.testing.assert_array_equal(table.X, [[1.5, 2.0], [3.0, -4.0], [5.0, 1000.0]])
    np.testing.assert_array_equal(table.y, [0.0, 1.0, 1.0])


def test_a_missing_value_in_the_first_row_does_not_make_it_a_header():
    error = csv_error("1,,0\n3,4,1\n")
    assert (error.row, error.column, "missing value" in str(error)) == (1, "column 2", True)


def test_header_can_be_forced_either_way():
    table = read_csv("10,20,30\n1,2,0\n3,4,1\n", header=True)
    assert (table.columns, table.target) == (("10", "20"), "30")
    table = read_csv("1,2,3\n4,5,6\n", header=True, kind="regression")
    assert (table.columns, table.target, table.y.tolist()) == (("1", "2"), "3", [6.0])
    error = csv_error("a,b,y\n1,2,0\n", header=False)
    assert (error.row, error.column) == (1, "column 1")


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiter_is_detected_from_the_first_line(delimiter):
    lines = [
        delimiter.join(["p", "q", "y"]),
        delimiter.join(["1.5", "2", "0"]),
        delimiter.join(["3", "4", "1"]),
    ]
    table = read_csv("\n".join(lines) + "\n")
    assert table.columns == ("p", "q")
    np.testing.assert_array_equal(table.X, [[1.5, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize(
    ("text", "columns"),
    [
        ('"w;kg;raw","h;m",y\n1,2,x\n3,4,z\n', ("w;kg;raw", "h;m")),
        ('"w,kg,raw";"h,m";y\n1;2;x\n3;4;z\n', ("w,kg,raw", "h,m")),
        ('"a;""b"";c;e",d,y\n1,2,x\n3,4,z\n', ('a;"b";c;e', "d")),
    ],
)
def test_delimiters_inside_quoted_names_do_not_count(text, columns):
    table = read_csv(text)
    assert table.columns == columns
    np.testing.assert_array_equal(table.X, [[1.0, 2.0], [3.0, 4.0]])


def test_semicolon_file_with_decimal_commas_in_quotes_is_not_split_on_commas():
    error = csv_error('a;b;y\n"1,5";2;0\n')
    assert (error.row, error.column, "'1,5' is not a number" in str(error)) == (2, "a", True)


def test_numbers_up_to_the_largest_magnitude_standardise_and_project_to_finite_values():
    assert MAX_MAGNITUDE == 1e100
    rng = np.random.default_rng(5)
    signs = rng.choice([-1.0, 1.0], size=(CSV_LIMITS.max_rows, 3))
    rows = "".join(f"{a:g},{b:g},{c:g},{i % 2}\n" for i, (a, b, c) in enumerate(signs * 1e100))
    table = read_csv("a,b,c,y\n" + rows)
    assert np.abs(table.X).max() == 1e100
    X, _, scale = standardize(table.X)
    components, mean = principal_components(X, 2)
    assert np.isfinite(scale).all() and np.isfinite(project(X, components, mean)).all()


def test_tabs_inside_names_and_labels_are_text():
    table = read_csv('"a\tb",y\n1,"x\ty"\n2,z\n')
    assert (table.columns, table.classes) == (("a\tb",), ("x\ty", "z"))


def test_bom_blank_lines_whitespace_and_crlf():
    text = "\ufeff a , b ,y\r\n\r\n 1 ,\t2 , 0\r\n   \r\n3,4,1\r\n\r\n"
    table = read_csv(text)
    assert table.columns == ("a", "b")
    np.testing.assert_array_equal(table.X, [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(table.y, [0.0, 1.0])


def test_quoted_fields_keep_delimiters_in_names_and_labels():
    table = read_csv('"width, cm",y\n1,"red, dark"\n2,blue\n')
    assert table.columns == ("width, cm",)
    assert table.classes == ("blue", "red, dark")


@pytest.mark.parametrize(
    ("label", "columns", "target", "y"),
    [
        (-1, ("a", "b"), "c", [7.0, 8.0]),
        (2, ("a", "b"), "c", [7.0, 8.0]),
        (0, ("b", "c"), "a", [1.0, 2.0]),
        (-2, ("a", "c"), "b", [4.0, 5.0]),
        ("b", ("a", "c"), "b", [4.0, 5.0]),
        (np.int64(1), ("a", "c"), "b", [4.0, 5.0]),
    ],
)
def test_label_column_by_index_or_name(label, columns, target, y):
    table = read_csv("a,b,c\n1,4,7\n2,5,8\n", label=label, kind="regression")
    assert (table.columns, table.target) == (columns, target)
    np.testing.assert_array_equal(table.y, y)
    every = {"a": [1.0, 2.0], "b": [4.0, 5.0], "c": [7.0, 8.0]}
    np.testing.assert_array_equal(table.X, np.column_stack([every[c] for c in columns]))


def test_label_by_index_without_header_keeps_feature_names_in_order():
    table = read_csv("1,0,7\n2,1,8\n", label=1)
    assert (table.columns, table.target, table.kind) == (("x1", "x2"), "label", "binary")
    np.testing.assert_array_equal(table.X, [[1.0, 7.0], [2.0, 8.0]])


# --- read_csv: kinds -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "kind", "classes", "y"),
    [
        (["1", "0", "1"], "binary", ("0", "1"), [1, 0, 1]),
        (["2", "0", "1", "2"], "multiclass", ("0", "1", "2"), [2, 0, 1, 2]),
        (["3.0", "-1", "3"], "binary", ("-1", "3.0"), [1, 0, 1]),  # '3' and '3.0' are one class
        (["10", "9", "2", "10"], "multiclass", ("2", "9", "10"), [2, 1, 0, 2]),  # by value
        (
            ["setosa", "virginica", "versicolor"],
            "multiclass",
            ("setosa", "versicolor", "virginica"),
            [0, 2, 1],
        ),
        (["b", "a", "B"], "multiclass", ("B", "a", "b"), [2, 1, 0]),  # code-point order
        (["yes", "no", "yes"], "binary", ("no", "yes"), [1, 0, 1]),
        (["10", "9", "x"], "multiclass", ("10", "9", "x"), [0, 1, 2]),  # not all numbers: as text
    ],
)
def test_classification_is_inferred_with_sorted_classes(labels, kind, classes, y):
    table = read_csv("a,y\n" + "".join(f"{i},{v}\n" for i, v in enumerate(labels)))
    assert (table.kind, table.classes, table.n_classes) == (kind, classes, len(classes))
    np.testing.assert_array_equal(table.y, y)
    assert table.y.dtype == np.float64


@pytest.mark.parametrize(
    "labels",
    [["0.5", "1", "0.5"], ["1.25", "2", "3"], [str(i) for i in range(MAX_CLASSES + 1)]],
)
def test_regression_is_inferred_for_fractions_or_many_integers(labels):
    table = read_csv("a,y\n" + "".join(f"{i},{v}\n" for i, v in enumerate(labels)))
    assert (table.kind, table.classes, table.n_classes) == ("regression", (), 0)
    np.testing.assert_array_equal(table.y, [float(v) for v in labels])


def test_twenty_integer_values_are_still_classes():
    labels = [str(i) for i in range(MAX_CLASSES)]
    table = read_csv("a,y\n" + "".join(f"{i},{v}\n" for i, v in enumerate(labels)))
    assert (table.kind, table.classes) == ("multiclass", tuple(labels))


def test_kind_can_be_forced_either_way():
    table = read_csv("a,y\n1,0\n2,1\n3,1\n", kind="regression")
    assert (table.kind, table.classes) == ("regression", ())
    np.testing.assert_array_equal(table.y, [0.0, 1.0, 1.0])
    table = read_csv("a,y\n1,0.5\n2,-1.5\n3,0.25\n", kind="classification")
    assert (table.kind, table.classes) == ("multiclass", ("-1.5", "0.25", "0.5"))
    np.testing.assert_array_equal(table.y, [2.0, 0.0, 1.0])


# --- Table ---------------------------------------------------------------------------------------


def test_table_arrays_are_read_only_float64_c_contiguous_copies():
    X = np.asfortranarray(np.arange(6, dtype=np.int64).reshape(3, 2))
    y = np.array([0, 1, 0])
    table = Table(X, y, ["a", "b"], "y", "binary", ["no", "yes"])
    for array in (table.X, table.y):
        assert array.dtype == np.float64
        assert array.flags.c_contiguous and not array.flags.writeable
        with pytest.raises(ValueError):
            array[0] = 1.0
    assert X.flags.writeable  # the caller's array is untouched
    assert (table.columns, table.classes, table.n_classes) == (("a", "b"), ("no", "yes"), 2)
    with pytest.raises(AttributeError):
        table.kind = "regression"


def test_read_csv_tables_are_read_only():
    table = read_csv("a,y\n1,0\n2,1\n")
    assert not table.X.flags.writeable and not table.y.flags.writeable
    assert table.X.flags.c_contiguous and table.X.dtype == np.float64


def test_table_equality_compares_arrays_and_names():
    table = read_csv("a,y\n1,0\n2,1\n")
    assert table == read_csv("a,y\n1.0,0\n2.0,1\n")
    assert table != read_csv("a,y\n1,0\n3,1\n")
    assert table != read_csv("b,y\n1,0\n2,1\n")
    assert table != read_csv("a,y\n1,0\n2,1\n", kind="regression")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((np.zeros(3), np.zeros(3), (), "y", "regression"), "shape"),
        ((np.zeros((3, 2)), np.zeros(2), ("a", "b"), "y", "regression"), "shape"),
        ((np.zeros((3, 2)), np.zeros(3), ("a",), "y", "regression"), "column names"),
        ((np.zeros((3, 1)), np.zeros(3), ("a",), "y", "ordinal"), "kind"),
        ((np.zeros((3, 1)), np.zeros(3), ("a",), "y", "binary", ("p", "q", "r")), "3 classes"),
        ((np.zeros((3, 1)), np.zeros(3), ("a",), "y", "regression", ("p", "q")), "2 classes"),
    ],
)
def test_table_checks_its_fields(args, words):
    with pytest.raises(ValueError, match=words):
        Table(*args)


# --- to_csv --------------------------------------------------------------------------------------


def test_to_csv_writes_header_reprs_and_class_names():
    text = to_csv([[0.1, 1e-300], [-2.0, 3.5]], [1, 0], ["a", "b, c"], "y", ("no", "yes"))
    assert text == '"a","b, c","y"\n0.1,1e-300,"yes"\n-2.0,3.5,"no"\n'
    assert to_csv([[1.0]], [0.25], ["a"], "t") == '"a","t"\n1.0,0.25\n'


HOSTILE_TEXT = [
    '=HYPERLINK("https://evil.example","x")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\tTAB",
    "\rCR",
    "=1",
    "-",
    "+",
]


def formula_cells(text: str) -> list[str]:
    """The cells of CSV text that a spreadsheet would run: text beginning with a formula
    character, numbers aside."""
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert cells, "no cells"

    def is_number(cell):
        try:
            float(cell)
        except ValueError:
            return False
        return cell.isascii() and "_" not in cell

    return [cell for cell in cells if cell.startswith(FORMULA_STARTS) and not is_number(cell)]


def test_a_spreadsheet_safe_csv_neutralises_every_cell_that_would_start_a_formula():
    classes = tuple(sorted(HOSTILE_TEXT[:6] + ["-1", "plain"]))
    X = [[-1.5, 2e-300], [3.0, -0.0]] * 4
    y = list(range(8))
    text = to_csv(X, y, HOSTILE_TEXT[6:8], HOSTILE_TEXT[8], classes, spreadsheet_safe=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["'=1", "'-", "'+"]
    labels = [row[-1] for row in rows[1:]]
    assert labels == [c if c in ("-1", "plain") else "'" + c for c in classes]
    assert [row[:2] for row in rows[1:]] == [["-1.5", "2e-300"], ["3.0", "-0.0"]] * 4
    assert formula_cells(text) == []
    # every text cell is quoted, numbers are not
    assert text.splitlines()[0] == '"\'=1","\'-","\'+"'
    assert text.splitlines()[1] == '-1.5,2e-300,"' + labels[0].replace('"', '""') + '"'


def test_the_lossless_csv_keeps_text_as_it_is_for_read_csv():
    classes = tuple(sorted(HOSTILE_TEXT[:4]))  # read_csv strips the tab and CR of the others
    text = to_csv([[1.0]] * 4, range(4), ["=1"], "@y", classes)
    assert formula_cells(text) != []  # for read_csv, not for a spreadsheet
    table = read_csv(text, label="@y", header=True)
    assert (table.columns, table.target, table.classes) == (("=1",), "@y", classes)


def test_round_trip_keeps_names_full_of_semicolons_and_tabs():
    columns, target, classes = ("a;b;c;d", "e\tf\tg\th"), "t;u;v", ("x;y;z", "w\tv")
    classes = tuple(sorted(classes))
    text = to_csv([[1.0, 2.0], [3.0, 4.0]], [1, 0], columns, target, classes)
    table = read_csv(text, label=target, header=True)
    assert (table.columns, table.target, table.classes) == (columns, target, classes)


def test_round_trip_of_random_regression_data_is_exact():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5)) * 10.0 ** rng.integers(-300, 100, size=(200, 5))
    y = rng.standard_cauchy(200)
    columns = ("x one", "x;two", 'x"three', "4", "five")
    table = read_csv(to_csv(X, y, columns, "target"), label="target")
    assert np.array_equal(table.X, X) and np.array_equal(table.y, y)
    assert (table.columns, table.target, table.kind) == (columns, "target", "regression")


def test_round_trip_of_a_classification_table_with_string_classes():
    rng = np.random.default_rng(1)
    classes = ("blue", "green, light", 'red "ish"')
    original = Table(
        rng.uniform(-1, 1, (60, 3)),
        rng.integers(0, 3, 60),
        ("p", "q", "r"),
        "colour",
        "multiclass",
        classes,
    )
    text = to_csv(original.X, original.y, original.columns, original.target, original.classes)
    table = read_csv(text, label="colour")
    assert table == original
    assert np.array_equal(table.X, original.X) and np.array_equal(table.y, original.y)
    assert (table.kind, table.classes) == ("multiclass", classes)


@pytest.mark.parametrize("name", REAL_NAMES)
def test_round_trip_of_each_real_dataset(name):
    original = load_real(name)
    text = to_csv(original.X, original.y, original.columns, original.target, original.classes)
    table = read_csv(text, label=original.target)
    assert table == original
    assert np.array_equal(table.X, original.X) and np.array_equal(table.y, original.y)
    assert (table.kind, table.classes) == (original.kind, original.classes)


def test_a_column_more_than_digits_is_over_the_default_limit():
    digits = load_real("digits")
    X = np.column_stack([digits.X, digits.X[:, 0]])
    text = to_csv(X, digits.y, (*digits.columns, "extra"), digits.target, digits.classes)
    assert "66 columns, over the limit of 65" in str(csv_error(text, label="target"))


# --- real datasets -------------------------------------------------------------------------------


def test_real_dataset_registry():
    assert list(REAL_DATASETS) == REAL_NAMES
    kinds = {name: spec.kind for name, spec in REAL_DATASETS.items()}
    assert kinds == {
        "iris": "multiclass",
        "wine": "multiclass",
        "breast_cancer": "binary",
        "digits": "multiclass",
        "diabetes": "regression",
    }
    for name, spec in REAL_DATASETS.items():
        assert isinstance(spec, RealDatasetSpec) and spec.name == name
        assert spec.description and "\n" not in spec.description and len(spec.description) < 80
    with pytest.raises(ValueError, match="kind"):
        RealDatasetSpec("bad", "ordinal", 1, 1, "no such kind")


@pytest.mark.parametrize(
    ("name", "loader", "kwargs"),
    [
        ("iris", sk_datasets.load_iris, {}),
        ("wine", sk_datasets.load_wine, {}),
        ("breast_cancer", sk_datasets.load_breast_cancer, {}),
        ("digits", sk_datasets.load_digits, {}),
        ("diabetes", sk_datasets.load_diabetes, {"scaled": False}),
    ],
)
def test_load_real_matches_sklearn(name, loader, kwargs):
    bunch, table, spec = loader(**kwargs), load_real(name), REAL_DATASETS[name]
    np.testing.assert_array_equal(table.X, bunch.data)
    assert table.columns == tuple(bunch.feature_names)
    assert table.target == "target"
    assert (table.kind, table.X.shape) == (spec.kind, (spec.n_samples, spec.n_inputs))
    if spec.kind == "regression":
        np.testing.assert_array_equal(table.y, bunch.target)
        assert table.classes == ()
    else:
        assert sorted(table.classes) == sorted(str(c) for c in bunch.target_names)
        labels = np.array(table.classes)[table.y.astype(int)]
        names = np.asarray(bunch.target_names).astype(str)
        np.testing.assert_array_equal(labels, names[bunch.target])
    assert not table.X.flags.writeable and not table.y.flags.writeable
    assert load_real(name) is table  # cached


def test_real_class_names():
    assert load_real("iris").classes == ("setosa", "versicolor", "virginica")
    assert load_real("digits").classes == tuple("0123456789")
    # sorted like any CSV label column, so sklearn's malignant=0 becomes 1
    assert load_real("breast_cancer").classes == ("benign", "malignant")
    assert load_real("diabetes").X[:, 1].max() == 2.0  # sex coded 1/2 in the unscaled data


def test_unknown_real_dataset_lists_the_names():
    with pytest.raises(ValueError, match="unknown real dataset 'mnist'.*breast_cancer"):
        load_real("mnist")
