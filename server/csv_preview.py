"""`POST /api/csv/preview`: a CSV file's columns as the server reads them, for the page to
offer its label column before the upload.

The page sends the file's text and gets back what `mlp_engine.tabular.csv_layout` finds (the
delimiter, whether the first row is a header, the columns' names), each column's kind (every
value a number, or not), the number of data rows and the first few, and the first problem
that makes the file unusable whichever column is the label (no columns to read, a row of
another width, too many rows...), as the upload would name it, with its row and column. A bad
file is a good answer (200): only a body the server will not read (over the size limit, not
UTF-8) is refused. Which column is the label, and whether its values are classes or targets,
is the upload's to say (`upload_csv`): a file refused for its label column still offers the
others.
"""

import codecs
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from mlp_engine.tabular import CSV_LIMITS, MISSING, CsvError, cell_number, csv_layout

#: The data rows a preview shows.
PREVIEW_ROWS = 5


class CsvColumn(BaseModel):
    """One column: its name and kind, "number" when every value is a number or missing."""

    name: str
    kind: Literal["number", "text"]
    missing: int  # values missing ("", "NA", "NaN", "null", in any case)


class CsvProblem(BaseModel):
    """Why the file cannot be used: `message` says it, with its row and column when it has them."""

    message: str
    row: int | None = None
    column: str | None = None

    @classmethod
    def of(cls, error: CsvError) -> "CsvProblem":
        return cls(message=str(error), row=error.row, column=error.column)


class CsvPreview(BaseModel):
    """How the server reads the file; `label` is the column an upload takes as the label unless
    told otherwise (the last). A file whose columns cannot be read has none, and its problem."""

    delimiter: Literal[",", ";", "\t"] | None
    header: bool | None
    columns: list[CsvColumn]
    label: int | None
    n_rows: int
    rows: list[list[str]]  # the first PREVIEW_ROWS data rows, their values as read (stripped)
    problem: CsvProblem | None = None  # the first that makes the file unusable


def preview(text: str) -> CsvPreview:
    """The preview of CSV `text`, up to its first problem."""
    try:
        layout, data = csv_layout(text)
    except CsvError as error:
        return CsvPreview(
            delimiter=None, header=None, columns=[], label=None, n_rows=0, rows=[],
            problem=CsvProblem.of(error),
        )  # fmt: skip
    numeric = [True] * len(layout.names)
    missing = [0] * len(layout.names)
    rows, n_rows, problem = [], 0, None
    try:
        for _, fields in data:
            n_rows += 1
            if len(rows) < PREVIEW_ROWS:
                rows.append(fields)
            for j, value in enumerate(fields):
                if value.lower() in MISSING:
                    missing[j] += 1
                elif numeric[j] and cell_number(value) is None:
                    numeric[j] = False
    except CsvError as error:
        problem = CsvProblem.of(error)
    return CsvPreview(
        delimiter=layout.delimiter,
        header=layout.header,
        columns=[
            CsvColumn(name=name, kind="number" if number else "text", missing=count)
            for name, number, count in zip(layout.names, numeric, missing, strict=True)
        ],
        label=len(layout.names) - 1,
        n_rows=n_rows,
        rows=rows,
        problem=problem,
    )


def _refusal(status: int, problem: CsvProblem) -> JSONResponse:
    return JSONResponse(problem.model_dump(), status_code=status)


async def _text(request: Request, max_bytes: int) -> str | JSONResponse:
    """The request's body as text, read no further than `max_bytes`; else the 413 or 422."""
    too_large = f"the file is over the limit of {max_bytes / 1e6:g} MB"
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        return _refusal(413, CsvProblem(message=too_large))
    decoder = codecs.getincrementaldecoder("utf-8")()
    pieces, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                return _refusal(413, CsvProblem(message=too_large))
            pieces.append(decoder.decode(chunk))
        pieces.append(decoder.decode(b"", final=True))
    except UnicodeDecodeError:
        return _refusal(422, CsvProblem(message="the file is not UTF-8 text"))
    return "".join(pieces)


router = APIRouter()


@router.post(
    "/api/csv/preview",
    response_model=CsvPreview,
    responses={413: {"model": CsvProblem}, 422: {"model": CsvProblem}},
)
async def csv_preview(request: Request):
    """The file's columns as an upload would read them (the body: the CSV text, UTF-8)."""
    text = await _text(request, CSV_LIMITS.max_bytes)
    if isinstance(text, JSONResponse):
        return text
    # On a thread: reading megabytes would hold up the frames the loop sends other sessions.
    return await run_in_threadpool(preview, text)
