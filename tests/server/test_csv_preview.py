"""`POST /api/csv/preview` on a real server: a file's columns read as the upload reads them
(`mlp_engine.tabular.read_csv` is the reference), its problems named by row and column, and
the HTTP guards of every other route (upload size, Host names, security headers).
"""

import httpx
import pytest

from mlp_engine.tabular import CSV_LIMITS, read_csv
from server.web_security import SECURITY_HEADERS

PREVIEW = "/api/csv/preview"


@pytest.fixture(scope="module")
def http(live_server):
    with httpx.Client(base_url=live_server.server.url, timeout=30) as client:
        yield client


def preview(http, text: str | bytes) -> dict:
    answer = http.post(PREVIEW, content=text, headers={"Content-Type": "text/csv"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def refusal(http, text: str | bytes, status: int = 422) -> dict:
    answer = http.post(PREVIEW, content=text, headers={"Content-Type": "text/csv"})
    assert answer.status_code == status, answer.text
    return answer.json()


NUMBERS, LABELS = ["number", "number", "number"], ["number", "number", "text"]
UNNAMED = ["column 1", "column 2", "column 3"]
FILES = [
    # (text, delimiter, names (None: no header), kinds, data rows)
    ("a,b,label\n1,2,x\n3,4,y\n", ",", ["a", "b", "label"], LABELS, 2),
    ('"w;kg;raw","h;m",y\n1,2,0\n3,4,1\n', ",", ["w;kg;raw", "h;m", "y"], NUMBERS, 2),
    ('\ufeffa;b;c\r\n"1,5";2;0\r\n\r\n3;"4,5";1\r\n', ";", ["a", "b", "c"],
     ["text", "text", "number"], 2),
    ("x\ty\tclass\n1\t2\trosa\n3\t4\tlilium\n", "\t", ["x", "y", "class"], LABELS, 2),
    ("1,2,0\n3,4,1\n5,6,0\n", ",", None, NUMBERS, 3),
    ("NA,2,0\n3,4,1\n", ",", None, NUMBERS, 2),  # a missing value does not make a header
    ("0x1,0b1,1\n1,2,0\n3,4,1\n", ",", ["0x1", "0b1", "1"], NUMBERS, 2),  # not numbers here
]  # fmt: skip


@pytest.mark.parametrize(("text", "delimiter", "names", "kinds", "n_rows"), FILES)
def test_the_preview_is_the_uploads_reading_of_the_file(
    http, text, delimiter, names, kinds, n_rows
):
    shown = preview(http, text.encode())
    assert (shown["delimiter"], shown["header"]) == (delimiter, names is not None)
    assert [column["name"] for column in shown["columns"]] == (names or UNNAMED)
    assert [column["kind"] for column in shown["columns"]] == kinds
    assert shown["label"] == 2 and shown["n_rows"] == len(shown["rows"]) == n_rows
    if kinds == LABELS or kinds == NUMBERS and "NA" not in text:  # the upload takes these
        table = read_csv(text)
        assert len(table.y) == n_rows
        if names:
            assert [*table.columns, table.target] == names


def test_the_preview_counts_missing_values_and_shows_the_first_rows(http):
    shown = preview(http, "a,b,label\n1,,x\n3,nan,y\n5,6,z\n7,8,x\n9,10,y\n11,12,z\n")
    assert [c["missing"] for c in shown["columns"]] == [0, 2, 0]
    assert shown["rows"] == [["1", "", "x"], ["3", "nan", "y"], ["5", "6", "z"], ["7", "8", "x"],
                             ["9", "10", "y"]]  # fmt: skip


def refused_by_the_upload(text: str) -> dict:
    """The problem read_csv finds in `text` (with its default label column)."""
    with pytest.raises(ValueError) as caught:
        read_csv(text)
    return {"message": str(caught.value), "row": caught.value.row, "column": caught.value.column}


UNREADABLE = [  # files whose columns cannot be read: no record, too few or many, bad names
    "",
    "\n\n",
    "a\n1\n2\n",
    "a,a,label\n1,2,0\n",
    "a,,label\n1,2,0\n",
    ",".join(f"c{j}" for j in range(CSV_LIMITS.max_columns + 1)) + "\n1\n",
]
UNUSABLE_ROWS = [  # (file, data rows before its problem): unusable whichever label is chosen
    ("a,b,label\n1,2,0\n3,4\n", 1),
    ("a,b,label\n", 0),
    ('a,b,label\n1,2,0\n5,"2,0\n', 1),
    ("a,b,label\n" + "1,2,0\n" * (CSV_LIMITS.max_rows + 1), CSV_LIMITS.max_rows),
]


@pytest.mark.parametrize("text", UNREADABLE)
def test_a_file_whose_columns_cannot_be_read_has_none_and_the_uploads_problem(http, text):
    shown = preview(http, text.encode())
    assert (shown["columns"], shown["label"], shown["n_rows"]) == ([], None, 0)
    assert shown["problem"] == refused_by_the_upload(text)


@pytest.mark.parametrize(("text", "n_rows"), UNUSABLE_ROWS)
def test_the_first_unusable_row_is_named_as_the_upload_names_it(http, text, n_rows):
    shown = preview(http, text.encode())
    assert [column["name"] for column in shown["columns"]] == ["a", "b", "label"]
    assert shown["n_rows"] == n_rows
    assert shown["problem"] == refused_by_the_upload(text)


def test_a_file_the_upload_takes_has_no_problem(http):
    assert preview(http, b"a,b,label\n1,2,0\n3,4,1\n")["problem"] is None


def test_a_file_over_the_size_limit_is_refused_unread(http):
    text = "a,b,label\n" + "1,2,0\n" * (CSV_LIMITS.max_bytes // 6)
    assert len(text) > CSV_LIMITS.max_bytes
    problem = refusal(http, text.encode(), status=413)
    assert problem["message"] == "the file is over the limit of 5 MB"
    chunks = (text[i : i + 65536].encode() for i in range(0, len(text), 65536))  # no length
    assert refusal(http, chunks, status=413) == problem


def test_text_that_is_not_utf8_is_refused(http):
    assert refusal(http, "a,b,label\n1,2,é\n".encode("latin-1"))["message"] == (
        "the file is not UTF-8 text"
    )


def test_the_preview_has_the_security_headers_and_serves_only_allowed_hosts(http):
    answer = http.post(PREVIEW, content=b"a,b\n1,2\n")
    assert answer.status_code == 200 and answer.json()["n_rows"] == 1
    for name, value in SECURITY_HEADERS:
        assert answer.headers[name.decode()] == value.decode()
    refused = http.post(PREVIEW, content=b"a,b\n1,2\n", headers={"Host": "evil.example"})
    assert refused.status_code == 400 and "evil.example" in refused.text
    for name, value in SECURITY_HEADERS:
        assert refused.headers[name.decode()] == value.decode()
