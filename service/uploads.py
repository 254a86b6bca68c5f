"""Files sent as multipart form fields (LibreTranslate's `/translate_file`, `/v1/tm/imports`): the field
checked, and the name as it is stored and served."""

from __future__ import annotations

from starlette.datastructures import FormData, UploadFile

from zhen.errors import InputError


def file_field(form: FormData, missing: str) -> UploadFile:
    """The form's `file` field as an upload with a name; InputError(`missing`) when there is none."""
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise InputError(missing)
    return upload


def safe_name(name: str) -> str:
    """An upload's name as it is stored and served: its last path component (`a/b.txt` → `b.txt`, Windows
    paths too), without control characters, at most 200 characters; its extension picks the reader."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip().lstrip(".") or "file"
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 190] + dot + ext[:9]) if dot else base[:200]
    return base
